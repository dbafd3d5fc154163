/**
 * The convolution layers of one ResNet-18 encoder (resnet.ts) as shapes: for the kernel tests, which check every
 * layer shape of the model, and for the kernel benchmarks.
 */
import { RESNET_BASE_WIDTHS } from '../resnet';
import { scaledChannels } from '../params';

export interface ConvLayer {
  /** Parameter name without `.weight`, e.g. `visual_net.layer2.0.conv1`. */
  name: string;
  /** NHWC input of the convolution and HWIO kernel. */
  inputNHWC: [number, number, number, number];
  kernelHWIO: [number, number, number, number];
  stride: number;
  pad: number;
  /** False for the stem, whose input is data (no input gradient). */
  inputGradient: boolean;
}

/** Output size of a k x k window with stride s and symmetric padding p. */
export function outSize(size: number, k: number, s: number, p: number): number {
  return Math.floor((size + 2 * p - k) / s) + 1;
}

/** Every convolution of one encoder on batch x height x width x inChannels images, in forward order. */
export function resnetConvLayers(prefix: string, batch: number, height: number, width: number, inChannels: number, widthScale: number): ConvLayer[] {
  const layers: ConvLayer[] = [];
  const c1 = scaledChannels(64, widthScale);
  layers.push({ name: `${prefix}.conv1`, inputNHWC: [batch, height, width, inChannels], kernelHWIO: [7, 7, inChannels, c1], stride: 2, pad: 3, inputGradient: false });
  let h = outSize(outSize(height, 7, 2, 3), 3, 2, 1);
  let w = outSize(outSize(width, 7, 2, 3), 3, 2, 1);
  let inC = c1;
  RESNET_BASE_WIDTHS.forEach((base, li) => {
    const outC = scaledChannels(base, widthScale);
    for (let b = 0; b < 2; b++) {
      const stride = li > 0 && b === 0 ? 2 : 1;
      const name = `${prefix}.layer${li + 1}.${b}`;
      layers.push({ name: `${name}.conv1`, inputNHWC: [batch, h, w, inC], kernelHWIO: [3, 3, inC, outC], stride, pad: 1, inputGradient: true });
      const ho = outSize(h, 3, stride, 1);
      const wo = outSize(w, 3, stride, 1);
      layers.push({ name: `${name}.conv2`, inputNHWC: [batch, ho, wo, outC], kernelHWIO: [3, 3, outC, outC], stride: 1, pad: 1, inputGradient: true });
      if (stride !== 1 || inC !== outC) {
        layers.push({ name: `${name}.downsample.0`, inputNHWC: [batch, h, w, inC], kernelHWIO: [1, 1, inC, outC], stride, pad: 0, inputGradient: true });
      }
      h = ho;
      w = wo;
      inC = outC;
    }
  });
  return layers;
}
