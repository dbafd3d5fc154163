/**
 * WebGPU in Node through Dawn (the `webgpu` package), for the tests and benchmarks: installs `navigator.gpu` and
 * the WebGPU globals TF.js's webgpu backend expects. Node only; the page gets WebGPU from the browser.
 */

export interface NodeWebGpu {
  /** The adapter's description (e.g. "google swiftshader"), or null when there is none. */
  adapter: string | null;
  /** True for a software rasteriser (SwiftShader, lavapipe): numbers are for relative use only. */
  software: boolean;
  /** Why there is no adapter, in words the user can act on. */
  reason?: string;
}

let installed: Promise<NodeWebGpu> | null = null;

/** Installs WebGPU for Node once and reports the adapter it finds. */
export function installNodeWebGpu(): Promise<NodeWebGpu> {
  installed ??= install();
  return installed;
}

async function install(): Promise<NodeWebGpu> {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator?.gpu) {
    try {
      const mod = (await import('webgpu')) as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
      Object.assign(globalThis, mod.globals);
      const gpu = mod.create([]);
      Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator ?? {}), gpu }, configurable: true });
    } catch (e) {
      return { adapter: null, software: false, reason: `WebGPU for Node (the webgpu package) could not be loaded: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const adapter = await g.navigator!.gpu!.requestAdapter();
  if (!adapter) {
    return { adapter: null, software: false, reason: 'no WebGPU adapter: Dawn found no Vulkan driver (install one, or point VK_ICD_FILENAMES at a Vulkan ICD such as SwiftShader\'s)' };
  }
  const info = adapter.info;
  const text = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  return { adapter: text || 'unknown adapter', software: /swiftshader|llvmpipe|lavapipe|software/i.test(text) };
}
