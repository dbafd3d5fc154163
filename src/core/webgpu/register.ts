/**
 * The lab's own kernels for TF.js's webgpu backend, registered through the public kernel registry (no fork of the
 * package): the convolution's forward pass and filter gradient as one implicit-im2col GEMM (convGemm.ts; the
 * filter gradient split over the reduction), and training-mode BatchNorm as fused kernels (batchNorm.ts, which
 * ops.ts uses where they are registered). The input gradient keeps the package's direct program, which measured
 * faster than its tiled (matmul-style) one at every layer shape of the model. Each choice was measured against
 * the package's programs with `npm run bench:kernels -- --variants`, and each stays selectable for that bench.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { registerBatchNormKernels } from './batchNorm';
import { runConvForward, runFilterGradient, type ConvShape } from './convGemm';

type KernelArgs = Parameters<tf.KernelFunc>[0];

let packageFilterGradient: tf.KernelFunc | null = null;
let packageConv2D: tf.KernelFunc | null = null;

export interface WebGpuKernelOptions {
  /** The lab's split-K filter gradient (default) or the package's one-thread-per-weight kernel. */
  filterGradient?: 'split-k' | 'package';
  /** The package's direct input-gradient program (default) or its tiled one. */
  inputGradient?: 'tiled' | 'direct';
  /** The forward convolution through the lab's GEMM (convGemm.ts, default) or the package's programs. */
  forward?: 'gemm' | 'package';
  /** Training-mode BatchNorm through the fused kernels of batchNorm.ts (default) or the composite ops. */
  batchNorm?: 'fused' | 'composite';
}

function convShape(info: tf.backend_util.Conv2DInfo): ConvShape {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Conv2DBackpropFilter: NHWC through the split-K GEMM, anything else through the package's kernel. */
function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== 'channelsLast' || x.dtype !== 'float32') return packageFilterGradient!(args) as tf.TensorInfo;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, dataFormat);
  return runFilterGradient(args.backend as WebGPUBackend, x, dy, convShape(info));
}

/** Conv2D: NHWC without dilation through the GEMM, anything else through the package's kernel. */
function conv2d(args: KernelArgs): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DAttrs;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const dilations = attrs.dilations ?? 1;
  const dilated = Array.isArray(dilations) ? dilations.some((d) => d !== 1) : dilations !== 1;
  if (dataFormat !== 'channelsLast' || dilated || x.dtype !== 'float32') return packageConv2D!(args) as tf.TensorInfo;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, dataFormat);
  return runConvForward(args.backend as WebGPUBackend, x, filter, convShape(info));
}

/**
 * Registers the lab's webgpu kernels (idempotent; call after importing @tensorflow/tfjs-backend-webgpu). Options
 * exist for the benchmarks, which compare against the package's kernels.
 */
export function registerWebGpuKernels(options: WebGpuKernelOptions = {}): void {
  const filter = options.filterGradient ?? 'split-k';
  const input = options.inputGradient ?? 'direct';
  if (!packageFilterGradient || !packageConv2D) {
    const originalFilter = tf.getKernel('Conv2DBackpropFilter', 'webgpu');
    const originalConv = tf.getKernel('Conv2D', 'webgpu');
    if (!originalFilter || !originalConv) throw new Error('the webgpu backend is not loaded: import @tensorflow/tfjs-backend-webgpu before registering its kernels');
    packageFilterGradient = originalFilter.kernelFunc;
    packageConv2D = originalConv.kernelFunc;
  }
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'webgpu', kernelFunc: filter === 'split-k' ? conv2dBackpropFilter : packageFilterGradient });
  tf.unregisterKernel('Conv2D', 'webgpu');
  tf.registerKernel({ kernelName: 'Conv2D', backendName: 'webgpu', kernelFunc: (options.forward ?? 'gemm') === 'gemm' ? conv2d : packageConv2D });
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', input === 'direct');
  registerBatchNormKernels((options.batchNorm ?? 'fused') === 'fused');
}
