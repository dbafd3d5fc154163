/**
 * Messages between the page and the decode workers (src/worker/decode.worker.ts). One job = one clip; a worker takes
 * one job at a time. Files travel as File objects (structured clone shares the underlying data, no copy); results
 * come back with their buffers transferred.
 */
import type { ModalityPair } from '../../core/modalities';
import type { DecodedTensors } from '../decodedDataset';

export interface JobFile {
  file: File;
  /** The dropped path, for messages. */
  path: string;
}

export interface DecodeJob {
  id: number;
  clipId: string;
  /** What to decode: a spectrogram, RGB frames and/or optical flow (the dataset's two branches). */
  modalities: ModalityPair;
  /** The clip's video: RGB frames (without `frames`), its audio track (without `audio`), its frame rate (for flow). */
  video?: JobFile;
  /** A separate audio file (CREMA-D AudioWAV/, a frame folder's WAV). */
  audio?: JobFile;
  /** RGB frame images (a frame folder), instead of the video's frames. */
  frames?: JobFile[];
  /** Flow images (UCF-101's u/ and v/). */
  flowU?: JobFile[];
  flowV?: JobFile[];
  frameSize: number;
  audioHeight: number;
  audioWidth: number;
  maxFrames: number;
}

export type DecodeIn = { type: 'decode'; job: DecodeJob };

export type DecodeResult =
  | ({
      type: 'result';
      id: number;
      ok: true;
      /** e.g. 'ffmpeg+webcodecs': what decoded the visual and the audio input. */
      decoder: string;
      /** The clip is used, but: decoding errors, less decoded than the file claims, very short audio. */
      warnings: string[];
      ms: number;
    } & DecodedTensors)
  | {
      type: 'result';
      id: number;
      ok: false;
      /** The file the problem is in. */
      path: string;
      reason: string;
      /** True when the cause is the file itself (cacheable); false for environment problems (retry next time). */
      inherent: boolean;
      ms: number;
    };

export type DecodeOut = DecodeResult;
