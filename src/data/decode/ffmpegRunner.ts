/**
 * One @ffmpeg/core instance with reload-on-failure, for the page's decode worker (`ffmpegCore.ts`) and for Node's
 * ffmpeg.wasm decoder (`src/data/node/wasmFfmpeg.ts`). They differ only in how the core is created and how the input
 * reaches its file system (the page mounts the File through WORKERFS, Node writes its bytes into memory), so both
 * are parameters here. After any failed run the instance is dropped and the next run starts a fresh one, so one bad
 * file cannot poison the next. No browser- or Node-only imports.
 */
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

export const IN_DIR = '/in';
export const OUT_DIR = '/out';

/** Makes `input` visible as `/in/<name>`; returns what undoes it after the run. */
export type PlaceInput = (core: FfmpegCore, input: Blob, name: string) => Promise<() => void>;

/** One ffmpeg.wasm instance with reload-on-failure. */
export class CoreRunner {
  private core: FfmpegCore | null = null;
  private log: string[] = [];
  /** Instances created so far (1 + reloads). */
  instances = 0;

  constructor(
    private readonly createCore: () => Promise<FfmpegCore>,
    private readonly placeInput: PlaceInput,
  ) {}

  private async instance(): Promise<FfmpegCore> {
    if (this.core) return this.core;
    const core = await this.createCore();
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
    let undo: (() => void) | null = null;
    const files = new Map<string, Uint8Array>();
    try {
      undo = await this.placeInput(core, input, inputName);
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
      if (undo) {
        try {
          undo();
        } catch {
          ret = ret === 0 ? -1 : ret;
        }
      }
    }
    if (ret !== 0) this.reload();
    return { ret, log: this.log, outputs: files, ms: performance.now() - t0 };
  }
}
