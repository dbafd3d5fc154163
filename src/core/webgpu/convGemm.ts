/**
 * Convolution as a GEMM with an implicit im2col, on the webgpu backend. With p = (n, i, j) an output pixel and
 * r = (kh, kw, ci) a row of the HWIO kernel, and X[p, r] = x[n, i*sh + kh - padTop, j*sw + kw - padLeft, ci]
 * (zero outside x):
 *
 * - the filter gradient: dW[r, co] = sum_p X[p, r] * dy[p, co]  (Conv2DBackpropFilter, split-K over p);
 * - the forward convolution: y[p, co] = sum_r X[p, r] * W[r, co]  (Conv2D).
 *
 * The package's filter gradient runs one thread per weight, each summing over all of N*Ho*Wo: a layer with few
 * weights and a large feature map (the stems, layer1) leaves most of the GPU idle. Here each workgroup computes a
 * 32 x 32 tile of the output over one chunk of the reduction, the chunks are summed by a second program, and the
 * number of chunks is chosen so that there are enough workgroups even when the output has only a few tiles.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '@tensorflow/tfjs';

/** Output tile per workgroup (rows m, columns co: 8 x 8 threads, each 4 rows x 4 columns) and its k step. */
const TILE_M = 32;
const TILE_N = 32;
const TILE_K = 32;
/** Workgroups the split aims for, and the least k per chunk (fewer would spend more on the sum than it saves). */
const TARGET_WORKGROUPS = 1024;
const MIN_K_PER_CHUNK = 256;

/** A convolution's shapes (NHWC input, HWIO kernel, the output size and the padding before the first row/column). */
export interface ConvShape {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

export interface SplitPlan {
  /** Rows of the output, its columns (co) and the reduction length. */
  m: number;
  n: number;
  k: number;
  /** Number of k chunks (1: no second pass) and k per chunk (a multiple of TILE_K). */
  splits: number;
  kPerChunk: number;
}

export type GemmMode = 'filterGradient' | 'forward';

/** The GEMM of a mode (rows, columns, reduction) and how its reduction is split (never for the forward pass). */
export function planSplit(s: ConvShape, mode: GemmMode = 'filterGradient'): SplitPlan {
  const pixels = s.batch * s.outHeight * s.outWidth;
  const kernelRows = s.filterHeight * s.filterWidth * s.inChannels;
  const m = mode === 'filterGradient' ? kernelRows : pixels;
  const n = s.outChannels;
  const k = mode === 'filterGradient' ? pixels : kernelRows;
  if (mode === 'forward') {
    const kPerChunk = Math.ceil(k / TILE_K) * TILE_K;
    return { m, n, k, splits: 1, kPerChunk };
  }
  const tiles = Math.ceil(m / TILE_M) * Math.ceil(n / TILE_N);
  const wanted = Math.ceil(TARGET_WORKGROUPS / tiles);
  const most = Math.max(1, Math.floor(k / MIN_K_PER_CHUNK));
  let splits = Math.max(1, Math.min(wanted, most));
  const kPerChunk = Math.ceil(Math.ceil(k / splits) / TILE_K) * TILE_K;
  splits = Math.ceil(k / kPerChunk);
  return { m, n, k, splits, kPerChunk };
}

const GEMM_UNIFORMS =
  'inHeight : i32, inWidth : i32, inChannels : i32, outHW : i32, outWidth : i32, outChannels : i32, filterWidth : i32, ' +
  'strideHeight : i32, strideWidth : i32, padTop : i32, padLeft : i32, m : i32, k : i32, kPerChunk : i32, tilesPerChunk : i32,';

/**
 * One chunk of the reduction for one output tile; writes partial[split, m, co] (or the output itself when there is
 * one chunk). The subclasses name the mode in profiles.
 */
abstract class ConvGemmProgram implements WebGPUProgram {
  variableNames: string[];
  variableComponents: number[];
  outputComponent: number;
  uniforms = GEMM_UNIFORMS;
  workgroupSize: [number, number, number] = [8, 8, 1];
  dispatchLayout = { x: [1], y: [0], z: [] as number[] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey: string;

  constructor(
    private readonly mode: GemmMode,
    outputShape: number[],
    plan: SplitPlan,
    private readonly vec4: boolean,
  ) {
    this.variableNames = ['x', mode === 'filterGradient' ? 'dy' : 'w'];
    this.outputShape = outputShape;
    this.dispatch = [Math.ceil(plan.n / TILE_N), Math.ceil(plan.m / TILE_M), plan.splits];
    this.variableComponents = [1, vec4 ? 4 : 1];
    this.outputComponent = vec4 ? 4 : 1;
    this.shaderKey = `bmmConvGemm_${mode}_${vec4}`;
  }

  getUserCode(): string {
    // Thread (tx, ty) owns rows 4 ty .. 4 ty + 3 and columns 4 tx .. 4 tx + 3 of the tile (one vec4 per row).
    // B is dy [pixels, co] or the kernel [kernel rows, co]: row kIdx, columns coB .. coB + 3.
    const bName = this.variableNames[1];
    const loadB = this.vec4
      ? `b = ${bName}[(kIdx * uniforms.outChannels + coB) / 4];`
      : `let at = kIdx * uniforms.outChannels + coB;
                for (var e = 0; e < 4; e++) {
                  if (coB + e < uniforms.outChannels) { b[e] = ${bName}[at + e]; }
                }`;
    // A's row index (the tile's column aCol) is fixed per thread, its reduction index varies per load: a kernel row
    // and a pixel respectively in the filter gradient, the other way round in the forward pass.
    const pixelOf = (v: string) => `let img = ${v} / uniforms.outHW;
              let pix = ${v} - img * uniforms.outHW;
              let oi = pix / uniforms.outWidth;
              let oj = pix - oi * uniforms.outWidth;`;
    const kernelRowOf = (v: string) => `let fh = ${v} / perRow;
              let fRest = ${v} - fh * perRow;
              let fw = fRest / uniforms.inChannels;
              let ci = fRest - fw * uniforms.inChannels;`;
    const fixed = this.mode === 'filterGradient' ? kernelRowOf('mA') : pixelOf('mA');
    const varying = this.mode === 'filterGradient' ? pixelOf('kIdx') : kernelRowOf('kIdx');
    const rows = [0, 1, 2, 3];
    const store = this.vec4
      ? (r: number) => `if (row0 + ${r} < uniforms.m && col < uniforms.outChannels) { result[(base + (row0 + ${r}) * uniforms.outChannels + col) / 4] = acc${r}; }`
      : (r: number) => `if (row0 + ${r} < uniforms.m) {
            for (var e = 0; e < 4; e++) {
              if (col + e < uniforms.outChannels) { result[base + (row0 + ${r}) * uniforms.outChannels + col + e] = acc${r}[e]; }
            }
          }`;
    return `
      var<workgroup> tileA : array<array<f32, ${TILE_M}>, ${TILE_K}>;
      var<workgroup> tileB : array<array<vec4<f32>, ${TILE_N / 4}>, ${TILE_K}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let tid = ty * 8 + tx;
        let tileCol0 = i32(workgroupId.x) * ${TILE_N};
        let tileRow0 = i32(workgroupId.y) * ${TILE_M};
        let split = i32(workgroupId.z);
        let kBegin = split * uniforms.kPerChunk;
        let kEnd = min(kBegin + uniforms.kPerChunk, uniforms.k);

        // A loads: column tid % 32 of the tile, rows tid / 32 + 2 q; B loads: vec4 column tid % 8, rows tid / 8 + 8 q.
        let aCol = tid % ${TILE_M};
        let aRow = tid / ${TILE_M};
        let mA = tileRow0 + aCol;
        let aValid = mA < uniforms.m;
        let perRow = uniforms.filterWidth * uniforms.inChannels;
        ${fixed}
        let bCol = tid % ${TILE_N / 4};
        let bRow = tid / ${TILE_N / 4};
        let coB = tileCol0 + 4 * bCol;
        let bValid = coB < uniforms.outChannels;

        ${rows.map((r) => `var acc${r} = vec4<f32>(0.0);`).join('\n        ')}
        for (var t = 0; t < uniforms.tilesPerChunk; t++) {
          let kTile = kBegin + t * ${TILE_K};
          for (var q = 0; q < ${(TILE_K * TILE_M) / 64}; q++) {
            let kk = aRow + ${64 / TILE_M} * q;
            let kIdx = kTile + kk;
            var a = 0.0;
            if (aValid && kIdx < kEnd) {
              ${varying}
              let xr = oi * uniforms.strideHeight + fh - uniforms.padTop;
              let xc = oj * uniforms.strideWidth + fw - uniforms.padLeft;
              if (xr >= 0 && xr < uniforms.inHeight && xc >= 0 && xc < uniforms.inWidth) {
                a = x[((img * uniforms.inHeight + xr) * uniforms.inWidth + xc) * uniforms.inChannels + ci];
              }
            }
            tileA[kk][aCol] = a;
          }
          for (var q = 0; q < ${(TILE_K * TILE_N) / 4 / 64}; q++) {
            let kk = bRow + ${64 / (TILE_N / 4)} * q;
            let kIdx = kTile + kk;
            var b = vec4<f32>(0.0);
            if (bValid && kIdx < kEnd) {
              ${loadB}
            }
            tileB[kk][bCol] = b;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk++) {
            let bv = tileB[kk][tx];
            ${rows.map((r) => `acc${r} = fma(vec4<f32>(tileA[kk][4 * ty + ${r}]), bv, acc${r});`).join('\n            ')}
          }
          workgroupBarrier();
        }

        let base = split * uniforms.m * uniforms.outChannels;
        let row0 = tileRow0 + 4 * ty;
        let col = tileCol0 + 4 * tx;
        ${rows.map(store).join('\n        ')}
      }
    `;
  }
}

class FilterGradientGemmProgram extends ConvGemmProgram {
  constructor(outputShape: number[], plan: SplitPlan, vec4: boolean) {
    super('filterGradient', outputShape, plan, vec4);
  }
}

class ConvForwardGemmProgram extends ConvGemmProgram {
  constructor(outputShape: number[], plan: SplitPlan, vec4: boolean) {
    super('forward', outputShape, plan, vec4);
  }
}

/** out[i] = sum over splits of partial[split, i]. */
class SplitSumProgram implements WebGPUProgram {
  variableNames = ['partial'];
  outputComponent: number;
  uniforms = 'splits : i32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  outputShape: number[];
  size = true;
  shaderKey: string;

  constructor(outputShape: number[], vec4: boolean) {
    this.outputShape = outputShape;
    this.outputComponent = vec4 ? 4 : 1;
    this.shaderKey = `bmmSplitSum_${vec4}`;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = outputShape.reduce((a, b) => a * b, 1) / this.outputComponent;
    this.dispatch = [Math.ceil(size / 64), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var sum = ${this.outputComponent === 4 ? 'vec4<f32>(0.0)' : '0.0'};
          for (var s = 0; s < uniforms.splits; s++) {
            sum += partial[s * uniforms.size + index];
          }
          result[index] = sum;
        }
      }
    `;
  }
}

function gemmUniforms(s: ConvShape, plan: SplitPlan) {
  return [
    s.inHeight, s.inWidth, s.inChannels, s.outHeight * s.outWidth, s.outWidth, s.outChannels, s.filterWidth,
    s.strideHeight, s.strideWidth, s.padTop, s.padLeft, plan.m, plan.k, plan.kPerChunk, plan.kPerChunk / TILE_K,
  ].map((v) => ({ type: 'int32', data: [v] }));
}

/** The forward convolution of NHWC x [N,H,W,Ci] with an HWIO kernel w [kh,kw,Ci,Co]; returns y [N,Ho,Wo,Co]. */
export function runConvForward(backend: WebGPUBackend, x: TensorInfo, w: TensorInfo, s: ConvShape): TensorInfo {
  const plan = planSplit(s, 'forward');
  const outShape = [s.batch, s.outHeight, s.outWidth, s.outChannels];
  return backend.runWebGPUProgram(new ConvForwardGemmProgram(outShape, plan, s.outChannels % 4 === 0), [x, w], 'float32', gemmUniforms(s, plan));
}

/** The split-K filter gradient for NHWC x [N,H,W,Ci] and dy [N,Ho,Wo,Co]; returns dW [kh,kw,Ci,Co]. */
export function runFilterGradient(backend: WebGPUBackend, x: TensorInfo, dy: TensorInfo, s: ConvShape): TensorInfo {
  const plan = planSplit(s);
  const filterShape = [s.filterHeight, s.filterWidth, s.inChannels, s.outChannels];
  const uniforms = gemmUniforms(s, plan);
  const vec4 = s.outChannels % 4 === 0;
  if (plan.splits === 1) {
    return backend.runWebGPUProgram(new FilterGradientGemmProgram(filterShape, plan, vec4), [x, dy], 'float32', uniforms);
  }
  const partial = backend.runWebGPUProgram(new FilterGradientGemmProgram([plan.splits, plan.m * plan.n], plan, vec4), [x, dy], 'float32', uniforms);
  const out = backend.runWebGPUProgram(new SplitSumProgram(filterShape, vec4), [partial], 'float32', [{ type: 'int32', data: [plan.splits] }]);
  backend.disposeData(partial.dataId);
  return out;
}
