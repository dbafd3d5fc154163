/**
 * Messages between the page and the decode workers (src/worker/decode.worker.ts). One job = one clip; a worker takes
 * one job at a time. Files travel as File objects (structured clone shares the underlying data, no copy); results
 * come back with their buffers transferred.
 */
import type { VisualSource } from './cacheKey';

export interface JobFile {
  file: File;
  /** The dropped path, for messages. */
  path: string;
}

export interface DecodeJob {
  id: number;
  clipId: string;
  visual: VisualSource;
  /** The clip's video: frames (visual 'video') and, without `audio`, its audio track. */
  video?: JobFile;
  /** A separate audio file (CREMA-D AudioWAV/, a frame folder's WAV). */
  audio?: JobFile;
  /** Frame images (visual 'frames'). */
  frames?: JobFile[];
  /** Flow images (visual 'flow'). */
  flowU?: JobFile[];
  flowV?: JobFile[];
  frameSize: number;
  audioHeight: number;
  audioWidth: number;
  maxFrames: number;
}

export type DecodeIn = { type: 'decode'; job: DecodeJob };

export type DecodeResult =
  | {
      type: 'result';
      id: number;
      ok: true;
      spectrogram: Uint16Array;
      frames: Uint8Array;
      frameCount: number;
      frameChannels: 2 | 3;
      /** e.g. 'ffmpeg+webcodecs': what decoded the visual and the audio input. */
      decoder: string;
      /** The clip is used, but: decoding errors, less decoded than the file claims, very short audio. */
      warnings: string[];
      ms: number;
    }
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
