/// <reference lib="webworker" />
/**
 * Decode worker: turns one clip's dropped files into its stored tensors (src/data/decode/decodeClip.ts), one job at
 * a time, with its own ffmpeg.wasm instance for what the browser cannot decode. Messages: src/data/decode/messages.ts.
 */
import { ClipFailure, decodeClip } from '../data/decode/decodeClip';
import { FfmpegRunner } from '../data/decode/ffmpegCore';
import type { DecodeIn, DecodeOut } from '../data/decode/messages';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const ffmpeg = new FfmpegRunner();
let queue: Promise<void> = Promise.resolve();

async function handle(msg: DecodeIn): Promise<void> {
  const { job } = msg;
  const t0 = performance.now();
  try {
    const r = await decodeClip(job, ffmpeg);
    const reply: DecodeOut = { type: 'result', id: job.id, ok: true, ...r, ms: performance.now() - t0 };
    scope.postMessage(reply, [r.spectrogram.buffer as ArrayBuffer, ...Object.values(r.frames).map((f) => f.data.buffer as ArrayBuffer)]);
  } catch (err) {
    const failure = err instanceof ClipFailure ? err : null;
    const reply: DecodeOut = {
      type: 'result',
      id: job.id,
      ok: false,
      path: failure?.path ?? job.video?.path ?? job.clipId,
      reason: failure?.message ?? `decoder error: ${err instanceof Error ? err.message : String(err)}`,
      inherent: failure?.inherent ?? false,
      ms: performance.now() - t0,
    };
    scope.postMessage(reply);
  }
}

scope.onmessage = (e: MessageEvent<DecodeIn>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'decode':
      queue = queue.then(() => handle(msg));
      break;
    default:
      scope.postMessage({ type: 'error', message: `decode worker: unknown message ${JSON.stringify(msg)}` });
  }
};
