/**
 * Memory a decoded dataset takes, from the stored sizes: per clip a 16-bit spectrogram (audioHeight x audioWidth)
 * and up to `frames` uint8 frames of S x S x C. Used for the estimate in the dataset panel and the README table.
 */
import { PRESET_SIZES, type PresetName } from '../../core/config';
import { frameBytes } from '../../core/dataset';
import { AUDIO_RGB, frameKinds, hasSpectrogram, type ModalityPair } from '../../core/modalities';

export interface StoredSizes {
  audioHeight: number;
  audioWidth: number;
  frameSize: number;
  modalities: ModalityPair;
}

/** Bytes of one decoded clip holding `frames` frames of each frame kind (and its spectrogram, if any). */
export function clipBytes(s: StoredSizes, frames: number): number {
  const audio = hasSpectrogram(s.modalities) ? 2 * s.audioHeight * s.audioWidth : 0;
  return audio + frameKinds(s.modalities).reduce((sum, k) => sum + frames * frameBytes(s, k), 0);
}

/** The stored sizes of a preset for a pair of modalities (default audio + RGB). */
export function presetStoredSizes(preset: PresetName, modalities: ModalityPair = AUDIO_RGB): StoredSizes {
  const p = PRESET_SIZES[preset];
  return { audioHeight: p.audioHeight, audioWidth: p.audioWidth, frameSize: p.visualSize, modalities };
}

/** Default cap on the 1 fps frames kept per clip: keeps the `fast` preset of a CREMA-D-sized set under 1 GB. */
export const DEFAULT_MAX_FRAMES: Record<PresetName, number> = { tiny: 3, fast: 2, paper: 1, 'kinetics-sounds': 3 };

/** Frames a clip of `seconds` keeps at 1 fps under the cap. */
export function framesKept(seconds: number, maxFrames: number): number {
  return Math.max(1, Math.min(maxFrames, Math.ceil(seconds - 1e-6)));
}

/** "1.02 GB" style, decimal units. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/** What the browser says it has: RAM (navigator.deviceMemory, in GB, rounded down and capped by the browser) and free storage. */
export interface MemoryBudget {
  deviceMemoryBytes: number | null;
  /** quota - usage of navigator.storage.estimate(): what the decode cache may still take. */
  storageFreeBytes: number | null;
}

/** Frame caps the dataset panel offers. */
export const FRAME_CHOICES = [1, 2, 3, 5, 10] as const;

/**
 * The training worker holds its own copy of the dataset with spectrograms as float32 next to the page's: about
 * twice the decoded bytes while training. Half the device's memory is what the tab may reasonably take.
 */
const TRAINING_COPIES = 2;
const DEVICE_SHARE = 0.5;

/**
 * A warning before decoding when the decoded dataset will not fit what the browser reports (memory while training,
 * or the storage the decode cache needs), with the frame cap or preset that would fit; null when it fits or the
 * browser reports nothing.
 */
export function memoryWarning(clips: number, preset: PresetName, maxFrames: number, modalities: ModalityPair, budget: MemoryBudget): string | null {
  const bytes = (p: PresetName, k: number) => clips * clipBytes(presetStoredSizes(p, modalities), k);
  const need = bytes(preset, maxFrames);
  const ram = budget.deviceMemoryBytes !== null ? budget.deviceMemoryBytes * DEVICE_SHARE : null;
  const fitsRam = (b: number) => ram === null || TRAINING_COPIES * b <= ram;
  const fitsDisk = (b: number) => budget.storageFreeBytes === null || b <= budget.storageFreeBytes;
  if (fitsRam(need) && fitsDisk(need)) return null;
  const problems: string[] = [];
  if (!fitsRam(need)) {
    problems.push(
      `about ${formatBytes(need)} decoded, ${formatBytes(TRAINING_COPIES * need)} while training, and this device reports ${formatBytes(budget.deviceMemoryBytes!)} of memory`,
    );
  }
  if (!fitsDisk(need)) problems.push(`the decode cache needs about ${formatBytes(need)} and the browser grants ${formatBytes(budget.storageFreeBytes!)} more storage (clips that do not fit are decoded again next time)`);
  const fits = (p: PresetName, k: number) => fitsRam(bytes(p, k)) && fitsDisk(bytes(p, k));
  const frames = [...FRAME_CHOICES].reverse().find((k) => k < maxFrames && fits(preset, k));
  const order: PresetName[] = ['kinetics-sounds', 'paper', 'fast', 'tiny'];
  const smaller = order.slice(order.indexOf(preset) + 1).find((p) => fits(p, Math.min(maxFrames, DEFAULT_MAX_FRAMES[p])));
  const advice =
    frames !== undefined
      ? `${frames} frame${frames === 1 ? '' : 's'} per clip would fit (${formatBytes(bytes(preset, frames))})`
      : smaller
        ? `the ${smaller} preset would fit (${formatBytes(bytes(smaller, Math.min(maxFrames, DEFAULT_MAX_FRAMES[smaller])))})`
        : 'decode a part of the dataset (fewer clips)';
  return `${problems.join('; ')}: ${advice}.`;
}
