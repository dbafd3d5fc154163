/**
 * ffmpeg.wasm (@ffmpeg/core, single thread) run directly inside the decode worker, for what the browser cannot decode
 * (FLV, AVI/Xvid, MPEG-4 part 2, HEVC, MP2/AC-3 ...). Browser-only (a dedicated worker: WORKERFS reads the dropped
 * File lazily through FileReaderSync, so the file is never copied whole into wasm memory).
 *
 * Why not the @ffmpeg/ffmpeg wrapper: it starts a worker of its own, one more hop per call and a second worker URL
 * to keep same-origin in the production build. The core is an Emscripten module with the same `exec` / `FS` API;
 * its JS and wasm are served by the app itself (Vite `?url` imports), never from a CDN. The wasm is compiled once
 * per worker; after any failed run the instance is dropped and a fresh one is instantiated from the compiled module,
 * so one bad file cannot poison the next.
 */
import coreURL from '@ffmpeg/core?url';
import wasmURL from '@ffmpeg/core/wasm?url';
import { CoreRunner, IN_DIR, type CoreFactory, type FfmpegCore, type PlaceInput } from './ffmpegRunner';

export type { CoreFactory, EmscriptenFS, FfmpegCore, FfmpegRun } from './ffmpegRunner';

let compiled: Promise<WebAssembly.Module> | null = null;
let factory: Promise<CoreFactory> | null = null;

function compileCore(): Promise<WebAssembly.Module> {
  if (!compiled) {
    compiled = (async () => {
      const response = await fetch(wasmURL);
      if (!response.ok) throw new Error(`could not load ffmpeg-core.wasm from ${wasmURL}: HTTP ${response.status}`);
      if (typeof WebAssembly.compileStreaming === 'function' && response.headers.get('content-type')?.includes('wasm')) {
        return WebAssembly.compileStreaming(response);
      }
      return WebAssembly.compile(await response.arrayBuffer());
    })();
    compiled.catch(() => (compiled = null));
  }
  return compiled;
}

function loadFactory(): Promise<CoreFactory> {
  if (!factory) {
    factory = import(/* @vite-ignore */ coreURL).then((m: { default: CoreFactory }) => m.default);
    factory.catch(() => (factory = null));
  }
  return factory;
}

/** The page's core: compiled once per worker from the app's own wasm, instantiated afresh after a failure. */
async function createPageCore(): Promise<FfmpegCore> {
  const [create, module] = await Promise.all([loadFactory(), compileCore()]);
  return create({
    instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      void WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module));
      return {};
    },
    // Only used by the core to locate files; instantiateWasm above supplies the module.
    mainScriptUrlOrBlob: `${coreURL}#${btoa(JSON.stringify({ wasmURL, workerURL: '' }))}`,
  });
}

/** The dropped File, mounted read-only through WORKERFS (read lazily, never copied whole into wasm memory). */
const mountInput: PlaceInput = async (core, input, name) => {
  core.FS.mount(core.FS.filesystems.WORKERFS, { blobs: [{ name, data: input }] }, IN_DIR);
  return () => core.FS.unmount(IN_DIR);
};

/** One ffmpeg.wasm instance in the decode worker, with reload-on-failure. */
export class FfmpegRunner extends CoreRunner {
  constructor() {
    super(createPageCore, mountInput);
  }
}
