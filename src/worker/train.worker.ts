/// <reference lib="webworker" />
/**
 * The training worker: a TrainHost (./trainHost.ts) with the real TrainingSession (src/core/session.ts), posting
 * to the page. Backend: WebGPU where the browser has it, else WebAssembly (which trains through the custom
 * gradients of src/core/ops.ts), else the cpu backend; the `backend` message says which and why.
 */
import * as tf from '@tensorflow/tfjs';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend } from '../core/backend';
import { TrainingSession } from '../core/session';
import { resumeOnBackend } from './deviceLoss';
import type { TrainIn } from './protocol';
import { TrainHost } from './trainHost';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
};

const host = new TrainHost({
  post: (message, transfer = []) => scope.postMessage(message, transfer),
  startBackend: (choice) => initBackend(choice, { wasmPaths: WASM_PATHS }),
  createSession: (options) => TrainingSession.create({ ...options, keepCurrentBackend: true }),
  resumeOnBackend: (failed, backend, start) => resumeOnBackend(failed as TrainingSession, backend, start),
});

scope.onmessage = (e: MessageEvent<TrainIn>) => void host.handle(e.data);

// Keep TF.js quiet about its Node banner and debug checks in the page's console.
tf.env().set('PROD', true);
