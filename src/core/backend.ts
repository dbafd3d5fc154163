/**
 * Chooses the TF.js backend: WebGPU where the platform has it (with the lab's own gradient kernels, webgpu/),
 * else wasm (which trains thanks to the custom gradients in ops.ts), else the plain cpu backend. A backend can be
 * forced; the result says why it was chosen.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice, BackendName } from './config';
import { registerWebGpuKernels } from './webgpu/register';

export interface BackendInfo {
  name: BackendName;
  /** Human-readable reason, e.g. "WebGPU not available (navigator.gpu is missing); using wasm". */
  reason: string;
}

export interface BackendOptions {
  /** Where the wasm backend finds its .wasm files (a URL prefix or a map of file name to URL). */
  wasmPaths?: string | Record<string, string>;
  /**
   * Threads for the wasm backend where the page is cross-origin isolated; TF.js uses at most half the logical cores
   * (and 8) whatever this says, and none in Node.
   */
  wasmThreads?: number;
}

let wasmImported = false;
let webgpuImported = false;

function hasWebGpu(): boolean {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return !!nav && !!nav.gpu;
}

async function tryBackend(name: BackendName, options: BackendOptions): Promise<string | null> {
  try {
    if (name === 'webgpu') {
      if (!hasWebGpu()) return 'navigator.gpu is missing';
      if (!webgpuImported) {
        await import('@tensorflow/tfjs-backend-webgpu');
        registerWebGpuKernels();
        webgpuImported = true;
      }
    } else if (name === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (!wasmImported) {
        if (options.wasmPaths) wasm.setWasmPaths(options.wasmPaths as string);
        if (options.wasmThreads) wasm.setThreadsCount(options.wasmThreads);
        wasmImported = true;
      }
    }
    const ok = await withTimeout(tf.setBackend(name), 30_000, `${name} backend did not start within 30 s`);
    if (!ok) return `${name} backend failed to initialise`;
    await tf.ready();
    // A tiny op proves the backend really runs.
    const probe = tf.tidy(() => tf.sum(tf.add(tf.ones([2, 2]), 1)));
    const v = await probe.data();
    probe.dispose();
    if (v[0] !== 8) return `${name} backend computed a wrong result`;
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Starts the chosen backend (or the best available for 'auto'); throws only when nothing works. */
export async function initBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<BackendInfo> {
  const order: BackendName[] = choice === 'auto' ? ['webgpu', 'wasm', 'cpu'] : [choice];
  const failures: string[] = [];
  for (const name of order) {
    if (tf.getBackend() === name) {
      return { name, reason: failures.length ? `${failures.join('; ')}; using ${name}` : `${name} (already active)` };
    }
    const why = await tryBackend(name, options);
    if (why === null) {
      const reason = failures.length ? `${failures.join('; ')}; using ${name}` : choice === 'auto' ? `${name}: the fastest backend available` : `${name}: chosen in the config`;
      return { name, reason: `${reason}${await threadsNote(name)}` };
    }
    failures.push(`${labelOf(name)} not available (${why})`);
  }
  throw new Error(`no TF.js backend could start: ${failures.join('; ')}`);
}

/** " (4 threads)" for wasm: threads need a cross-origin isolated page (TF.js turns them off in Node). */
async function threadsNote(name: BackendName): Promise<string> {
  if (name !== 'wasm') return '';
  const threads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  return ` (${threads} thread${threads === 1 ? '' : 's'})`;
}

function labelOf(name: BackendName): string {
  return name === 'webgpu' ? 'WebGPU' : name === 'wasm' ? 'WebAssembly' : 'CPU';
}
