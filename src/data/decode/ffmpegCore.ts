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

/** The parts of the Emscripten file system the decoders use (the page's worker and Node's `wasmFfmpeg.ts`). */
export interface EmscriptenFS {
  mkdir(path: string): void;
  mount(type: unknown, opts: { blobs?: Array<{ name: string; data: Blob }> }, mountpoint: string): void;
  unmount(mountpoint: string): void;
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
  readdir(path: string): string[];
  rmdir(path: string): void;
  filesystems: { WORKERFS: unknown; MEMFS: unknown };
}

/** An @ffmpeg/core instance. */
export interface FfmpegCore {
  exec(...args: string[]): number;
  setLogger(logger: (entry: { type: string; message: string }) => void): void;
  setTimeout(ms: number): void;
  reset(): void;
  FS: EmscriptenFS;
}

export type CoreFactory = (moduleArg: Record<string, unknown>) => Promise<FfmpegCore>;

export interface FfmpegRun {
  /** ffmpeg's exit code (0 = success); -1 if it threw. */
  ret: number;
  log: string[];
  /** Output files that exist after the run, by name. */
  outputs: Map<string, Uint8Array>;
  ms: number;
  /** The runner itself failed (could not start, crashed), not the file: the failure is not cached. */
  crashed?: boolean;
}

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

const IN_DIR = '/in';
const OUT_DIR = '/out';

/** One ffmpeg.wasm instance with reload-on-failure. */
export class FfmpegRunner {
  private core: FfmpegCore | null = null;
  private log: string[] = [];
  /** Instances created so far (1 + reloads). */
  instances = 0;

  private async instance(): Promise<FfmpegCore> {
    if (this.core) return this.core;
    const [create, module] = await Promise.all([loadFactory(), compileCore()]);
    const core = await create({
      instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
        void WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module));
        return {};
      },
      // Only used by the core to locate files; instantiateWasm above supplies the module.
      mainScriptUrlOrBlob: `${coreURL}#${btoa(JSON.stringify({ wasmURL, workerURL: '' }))}`,
    });
    core.setLogger(({ message }) => this.log.push(message));
    core.FS.mkdir(IN_DIR);
    core.FS.mkdir(OUT_DIR);
    this.instances++;
    this.core = core;
    return core;
  }

  /** Drops the instance; the next run starts a fresh one (the compiled wasm is reused). */
  reload(): void {
    this.core = null;
  }

  /**
   * Runs `ffmpeg <args>` with `input` visible as `/in/<inputName>`; returns the exit code, the log and the files the
   * run wrote under `/out` whose names are in `outputs`. Reloads after a failure.
   */
  async run(input: Blob, inputName: string, args: string[], outputs: string[], timeoutMs = 120_000): Promise<FfmpegRun> {
    const core = await this.instance();
    const t0 = performance.now();
    this.log = [];
    let ret = -1;
    let mounted = false;
    const files = new Map<string, Uint8Array>();
    try {
      core.FS.mount(core.FS.filesystems.WORKERFS, { blobs: [{ name: inputName, data: input }] }, IN_DIR);
      mounted = true;
      core.setTimeout(timeoutMs);
      ret = core.exec(...args);
      core.reset();
      for (const name of outputs) {
        const path = `${OUT_DIR}/${name}`;
        if (!core.FS.readdir(OUT_DIR).includes(name)) continue;
        files.set(name, core.FS.readFile(path));
        core.FS.unlink(path);
      }
    } catch (err) {
      this.log.push(`ffmpeg.wasm threw: ${err instanceof Error ? err.message : String(err)}`);
      ret = -1;
    } finally {
      if (mounted) {
        try {
          core.FS.unmount(IN_DIR);
        } catch {
          ret = ret === 0 ? -1 : ret;
        }
      }
    }
    if (ret !== 0) this.reload();
    return { ret, log: this.log, outputs: files, ms: performance.now() - t0 };
  }
}
