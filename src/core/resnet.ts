/**
 * The ResNet-18 encoder of METHOD.md section 2 (OGM-GE's backbone): conv1 7x7/2 -> BN -> ReLU -> maxpool 3x3/2,
 * then layer1..layer4 of two BasicBlocks each; no pooling or fc inside. Parameter names are PyTorch's.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNorm, BN_MOMENTUM, conv2d, maxPool } from './ops';
import type { MmtmControl } from './mmtm';
import { scaledChannels, type ParamSpec, type ParamStore } from './params';

export const RESNET_BASE_WIDTHS = [64, 128, 256, 512] as const;

/** Output channels of the encoder (512 at width 1). */
export function encoderDim(width: number): number {
  return scaledChannels(512, width);
}

function convSpec(name: string, k: number, inC: number, outC: number): ParamSpec {
  return { name: `${name}.weight`, kind: 'conv', shape: [k, k, inC, outC] };
}

function bnSpecs(name: string, c: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, kind: 'bn-weight', shape: [c] },
    { name: `${name}.bias`, kind: 'bn-bias', shape: [c] },
    { name: `${name}.running_mean`, kind: 'bn-mean', shape: [c] },
    { name: `${name}.running_var`, kind: 'bn-var', shape: [c] },
  ];
}

interface BlockLayout {
  name: string;
  inC: number;
  outC: number;
  stride: number;
  downsample: boolean;
}

function blockLayouts(prefix: string, width: number): BlockLayout[] {
  const blocks: BlockLayout[] = [];
  let inC = scaledChannels(64, width);
  RESNET_BASE_WIDTHS.forEach((base, li) => {
    const outC = scaledChannels(base, width);
    for (let b = 0; b < 2; b++) {
      const stride = li > 0 && b === 0 ? 2 : 1;
      blocks.push({ name: `${prefix}.layer${li + 1}.${b}`, inC, outC, stride, downsample: stride !== 1 || inC !== outC });
      inC = outC;
    }
  });
  return blocks;
}

/** Parameter specs of one encoder, in PyTorch's state_dict order. */
export function resnetParamSpecs(prefix: string, inChannels: number, width: number): ParamSpec[] {
  const c1 = scaledChannels(64, width);
  const specs: ParamSpec[] = [convSpec(`${prefix}.conv1`, 7, inChannels, c1), ...bnSpecs(`${prefix}.bn1`, c1)];
  for (const b of blockLayouts(prefix, width)) {
    specs.push(convSpec(`${b.name}.conv1`, 3, b.inC, b.outC), ...bnSpecs(`${b.name}.bn1`, b.outC));
    specs.push(convSpec(`${b.name}.conv2`, 3, b.outC, b.outC), ...bnSpecs(`${b.name}.bn2`, b.outC));
    if (b.downsample) specs.push(convSpec(`${b.name}.downsample.0`, 1, b.inC, b.outC), ...bnSpecs(`${b.name}.downsample.1`, b.outC));
  }
  return specs;
}

/** Batch statistics collected in training mode, applied to the running averages after the step. */
export interface BnUpdate {
  /** BN module prefix, e.g. `audio_net.bn1`. */
  name: string;
  mean: tf.Tensor1D;
  varUnbiased: tf.Tensor1D;
}

export interface ForwardOptions {
  training: boolean;
  /** Training mode: receives each BN's batch statistics (kept out of tf.tidy by the caller). */
  bnUpdates?: BnUpdate[];
  /** Receives every layer's output by name (shape tests, debugging). */
  taps?: Map<string, tf.Tensor4D>;
  /** The MMTM blocks' hold and gate records in a training forward (method greedy, mmtm.ts). */
  mmtm?: MmtmControl;
}

function bn(params: ParamStore, name: string, x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor4D {
  const r = batchNorm(
    x,
    params.get(`${name}.weight`) as unknown as tf.Tensor1D,
    params.get(`${name}.bias`) as unknown as tf.Tensor1D,
    params.get(`${name}.running_mean`) as unknown as tf.Tensor1D,
    params.get(`${name}.running_var`) as unknown as tf.Tensor1D,
    opts.training,
  );
  if (opts.training && opts.bnUpdates && r.batchMean && r.batchVarUnbiased) {
    opts.bnUpdates.push({ name, mean: tf.keep(r.batchMean), varUnbiased: tf.keep(r.batchVarUnbiased) });
  }
  return r.y;
}

function conv(params: ParamStore, name: string, x: tf.Tensor4D, stride: number, pad: number, inputGradient = true): tf.Tensor4D {
  return conv2d(x, params.get(`${name}.weight`) as unknown as tf.Tensor4D, stride, pad, inputGradient);
}

/** conv1 -> BN -> ReLU -> maxpool of one encoder on NHWC images. */
export function resnetStem(params: ParamStore, prefix: string, x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor4D {
  // The input is data: no gradient with respect to it is needed.
  let h = tap(opts, `${prefix}.conv1`, conv(params, `${prefix}.conv1`, x, 2, 3, false));
  h = tf.relu(bn(params, `${prefix}.bn1`, h, opts));
  return tap(opts, `${prefix}.maxpool`, maxPool(h, 3, 2, 1, true));
}

/** layer`k` (1..4, two BasicBlocks) of one encoder. */
export function resnetLayer(params: ParamStore, prefix: string, width: number, k: number, h: tf.Tensor4D, opts: ForwardOptions): tf.Tensor4D {
  for (const b of blockLayouts(prefix, width).filter((l) => l.name.startsWith(`${prefix}.layer${k}.`))) {
    let y = conv(params, `${b.name}.conv1`, h, b.stride, 1);
    y = tf.relu(bn(params, `${b.name}.bn1`, y, opts));
    y = conv(params, `${b.name}.conv2`, y, 1, 1);
    y = bn(params, `${b.name}.bn2`, y, opts);
    const shortcut = b.downsample ? bn(params, `${b.name}.downsample.1`, conv(params, `${b.name}.downsample.0`, h, b.stride, 0), opts) : h;
    h = tap(opts, b.name, tf.relu(tf.add(y, shortcut)) as tf.Tensor4D);
  }
  return h;
}

function tap(opts: ForwardOptions, name: string, t: tf.Tensor4D): tf.Tensor4D {
  if (opts.taps) opts.taps.set(name, tf.keep(t));
  return t;
}

/** Runs one encoder on NHWC images; returns the final feature map [N, h, w, 512*width]. */
export function resnetForward(params: ParamStore, prefix: string, width: number, x: tf.Tensor4D, opts: ForwardOptions): tf.Tensor4D {
  let h = resnetStem(params, prefix, x, opts);
  for (let k = 1; k <= RESNET_BASE_WIDTHS.length; k++) h = resnetLayer(params, prefix, width, k, h, opts);
  return h;
}

/** running = (1 - momentum) * running + momentum * batch, as PyTorch; counts num_batches_tracked. Disposes the updates. */
export function applyBnUpdates(params: ParamStore, updates: BnUpdate[]): void {
  tf.tidy(() => {
    for (const u of updates) {
      const mean = params.get(`${u.name}.running_mean`);
      const variance = params.get(`${u.name}.running_var`);
      mean.assign(tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(u.mean, BN_MOMENTUM)));
      variance.assign(tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(u.varUnbiased, BN_MOMENTUM)));
      params.bnBatchesTracked.set(u.name, (params.bnBatchesTracked.get(u.name) ?? 0) + 1);
    }
  });
  for (const u of updates) {
    u.mean.dispose();
    u.varUnbiased.dispose();
  }
  updates.length = 0;
}
