/**
 * Memory a decoded dataset takes, from the stored sizes: per clip a 16-bit spectrogram (audioHeight x audioWidth)
 * and up to `frames` uint8 frames of S x S x C. Used for the estimate in the dataset panel and the README table.
 */
import { PRESET_SIZES, type PresetName } from '../../core/config';

export interface StoredSizes {
  audioHeight: number;
  audioWidth: number;
  frameSize: number;
  frameChannels: 2 | 3;
}

/** Bytes of one decoded clip holding `frames` frames. */
export function clipBytes(s: StoredSizes, frames: number): number {
  return 2 * s.audioHeight * s.audioWidth + frames * s.frameSize * s.frameSize * s.frameChannels;
}

/** The stored sizes of a preset (RGB unless flow). */
export function presetStoredSizes(preset: PresetName, frameChannels: 2 | 3 = 3): StoredSizes {
  const p = PRESET_SIZES[preset];
  return { audioHeight: p.audioHeight, audioWidth: p.audioWidth, frameSize: p.visualSize, frameChannels };
}

/** Default cap on the 1 fps frames kept per clip: keeps the `fast` preset of a CREMA-D-sized set under 1 GB. */
export const DEFAULT_MAX_FRAMES: Record<PresetName, number> = { tiny: 3, fast: 2, paper: 1 };

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
