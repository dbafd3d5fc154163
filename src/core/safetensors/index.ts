/**
 * A dependency-free safetensors codec (https://github.com/huggingface/safetensors), pure TypeScript: no DOM and
 * no Node APIs, so it runs in browser workers and in Node alike. The header (its validation and the dtype table),
 * the writer and the reader are modules of their own; this is what the rest of the app imports.
 */
export { decodeSafetensors, int64ToNumbers, toFloat32Array, type DecodedTensor } from './decode';
export { DTYPE_BYTES, type SafetensorsDtype } from './dtypes';
export { encodeSafetensors, type NamedTensor, type NamedTensorData, type TensorInput } from './encode';
export { SafetensorsError, type SafetensorsErrorCode } from './errors';
export { float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './half';
export {
  DEFAULT_MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  readSafetensorsHeaderFromBlob,
  readSafetensorsHeaderLength,
  type BlobLike,
  type SafetensorsHeader,
  type SafetensorsHeaderOptions,
  type SafetensorsReadOptions,
  type TensorInfo,
} from './header';
