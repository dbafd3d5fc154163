/**
 * Chooses the TF.js backend: WebGPU where the platform has it on a real GPU (with the lab's own gradient kernels,
 * webgpu/), else wasm (which trains thanks to the custom gradients in ops.ts), else WebGPU on a software adapter,
 * else the plain cpu backend. A software adapter (SwiftShader, llvmpipe, any `isFallbackAdapter`: VMs, blocklisted
 * drivers) is a last resort because it is far slower than wasm: 8 `tiny` epochs took 10 min 40 s on SwiftShader and
 * 13 s on wasm on the same 2-core machine. A backend can be forced; the result says why it was chosen.
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
   * (and 8) whatever this says, and none in Node (there the CLI's `--threads`, src/cli/wasmThreads.ts, starts them).
   */
  wasmThreads?: number;
}

let wasmImported = false;
let webgpuImported = false;

function hasWebGpu(): boolean {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return !!nav && !!nav.gpu;
}

/** What a WebGPU adapter says of itself (`GPUAdapter.info`, and the older `isFallbackAdapter` on the adapter). */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;

/** Why an adapter is a software renderer ("SwiftShader driver 5.0.0, a fallback adapter"), or null for a GPU. */
export function softwareAdapter(info: AdapterFacts | null): string | null {
  if (!info) return null;
  const words = [info.description, info.architecture, info.device, info.vendor].filter((w): w is string => !!w);
  const named = words.find((w) => SOFTWARE_ADAPTER.test(w));
  if (!named && !info.isFallbackAdapter) return null;
  const name = info.description || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  return info.isFallbackAdapter ? `${name}, a fallback adapter` : `${name}, a software renderer`;
}

/** The facts of the adapter WebGPU would use; null where there is none (or it cannot be asked). */
async function webGpuAdapterFacts(): Promise<AdapterFacts | null> {
  try {
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(o?: unknown): Promise<unknown> } } }).navigator?.gpu;
    if (!gpu) return null;
    const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as (AdapterFacts & { info?: AdapterFacts }) | null;
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter,
    };
  } catch {
    return null;
  }
}

/**
 * The order `auto` tries backends in: WebGPU first on a real GPU; on a software adapter, wasm first and WebGPU after
 * it (then cpu). `software` is `softwareAdapter`'s answer for the adapter WebGPU would use.
 */
export function autoOrder(software: string | null): BackendName[] {
  return software ? ['wasm', 'webgpu', 'cpu'] : ['webgpu', 'wasm', 'cpu'];
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
  const software = (choice === 'auto' || choice === 'webgpu') && hasWebGpu() ? softwareAdapter(await webGpuAdapterFacts()) : null;
  const order: BackendName[] = choice === 'auto' ? autoOrder(software) : [choice];
  // Said first when it decided the order: why the page does not train on the GPU it was offered.
  const failures: string[] = software && choice === 'auto' ? [`WebGPU runs on software here (${software}), far slower than WebAssembly`] : [];
  for (const name of order) {
    // A backend already running (a second session in the page, the CLI's threaded wasm) is used as it is.
    const why = tf.getBackend() === name ? null : await tryBackend(name, options);
    if (why === null) {
      const reason = failures.length
        ? `${failures.join('; ')}; using ${name}${name === 'webgpu' && software ? ' on the software adapter' : ''}`
        : choice === 'auto'
          ? `${name}: ${name === 'webgpu' ? 'a GPU adapter' : 'the fastest backend available'}`
          : `${name}: chosen in the config${name === 'webgpu' && software ? ` (on software: ${software}; WebAssembly is far faster here)` : ''}`;
      return { name, reason: `${reason}${await threadsNote(name)}` };
    }
    failures.push(`${labelOf(name)} not available (${why})`);
  }
  throw new Error(`no TF.js backend could start: ${failures.join('; ')}`);
}

/** " (4 threads)" for wasm: threads need a cross-origin isolated page (TF.js turns them off in Node; `bmm-lab train --threads`). */
async function threadsNote(name: BackendName): Promise<string> {
  if (name !== 'wasm') return '';
  const threads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  return ` (${threads} thread${threads === 1 ? '' : 's'})`;
}

function labelOf(name: BackendName): string {
  return name === 'webgpu' ? 'WebGPU' : name === 'wasm' ? 'WebAssembly' : 'CPU';
}
