/**
 * Threaded WebAssembly in Node (`bmm-lab train --threads N`, `npm run bench -- --threads N`).
 *
 * TF.js 4.22 turns wasm threads off in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is false there), and forced on, its
 * threaded build cannot start: it hands its pthread worker script and its main script to Emscripten as `blob:` URLs,
 * which `worker_threads` refuses (`ERR_WORKER_PATH`) and which the worker's `importScripts` (a file read in Node)
 * cannot read. This module starts the threaded build with files instead: the worker script TF.js ships as a string
 * is written once to a temporary file, `worker_threads.Worker` is given that file for the blob URL, and the
 * worker's "load" message names the threaded build's main script in the package instead of a Blob. Nothing of the
 * package is changed on disk.
 *
 * TF.js then runs `min(N, half the logical cores)` threads (its own cap: it assumes two hardware threads a core).
 * The count asked for is what the user wants, so while the backend starts, `os.cpus()` reports 2 N cores; it is
 * put back as soon as the backend is up. The workers stay `unref`'d (Emscripten's `ref()` while a
 * pthread runs is ignored: the pool's threads run for good), so they do not keep a finished process alive.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import workerThreads from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

let started: number | null = null;

/** The threaded build's files in the installed package. */
function packageFiles(): { workerSource: string; mainScript: string } {
  const dir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const { wasmWorkerContents } = require(join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The string holds "\n" escapes that became real newlines inside string literals; TF.js escapes them the same way.
  return { workerSource: wasmWorkerContents.replace(/\n/g, '\\n'), mainScript: join(dir, 'tfjs-backend-wasm-threaded-simd.js') };
}

/** Installs the Worker that Emscripten's Node path constructs (it reads `worker_threads.Worker` when the build starts). */
function patchWorker(workerFile: string, mainScript: string): void {
  const Base = workerThreads.Worker;
  class FileWorker extends Base {
    constructor(url: string | URL, options?: workerThreads.WorkerOptions) {
      super(String(url).startsWith('blob:') ? workerFile : url, options);
      this.unref();
    }

    // Emscripten refs a worker while it runs a pthread; the thread pool's threads run for good, so they stay unref'd.
    override ref(): void {}

    override postMessage(message: unknown, transfer?: readonly workerThreads.TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      super.postMessage(m && m.cmd === 'load' && typeof m.urlOrBlob !== 'string' ? { ...m, urlOrBlob: mainScript } : message, transfer);
    }
  }
  (workerThreads as { Worker: typeof Base }).Worker = FileWorker;
}

/**
 * Starts TF.js's wasm backend with `threads` threads (1: the plain single-threaded build) and makes it the active
 * backend; resolves to the threads it runs. Must come before anything else starts the wasm backend.
 */
export async function startWasmThreads(threads: number): Promise<number> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a whole number >= 1, got ${threads}`);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (started !== null) {
    if (started !== threads) throw new Error(`the wasm backend already runs ${started} thread(s) in this process; it cannot change to ${threads}`);
    await tf.setBackend('wasm');
    return wasm.getThreadsCount();
  }
  if (tf.findBackend('wasm')) throw new Error('the wasm backend already started in this process, single-threaded; --threads must come before it starts');
  if (threads > 1) {
    const { workerSource, mainScript } = packageFiles();
    const dir = join(os.tmpdir(), `bmm-lab-wasm-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const workerFile = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
    writeFileSync(workerFile, workerSource);
    patchWorker(workerFile, mainScript);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
  }
  const cpus = os.cpus;
  const reported = cpus();
  if (threads > 1) os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => reported[i % Math.max(1, reported.length)] ?? ({} as os.CpuInfo));
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
    await tf.ready();
  } finally {
    os.cpus = cpus;
  }
  started = threads;
  return wasm.getThreadsCount();
}
