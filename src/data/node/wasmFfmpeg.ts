/**
 * ffmpeg.wasm (@ffmpeg/core, the build the page serves) as the decoder's FfmpegExec in Node, for machines without a
 * system ffmpeg. The same core and arguments as the page; only the way the input reaches it differs: the page mounts
 * the File (WORKERFS), here its bytes are written into the core's memory file system. The wasm is compiled once per
 * process; after a failed run the instance is dropped and the next run gets a fresh one, as in the page. `exec` is
 * synchronous, so one instance decodes one clip at a time. Node only.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { FfmpegExec } from '../decode/decodeClip';
import type { CoreFactory, FfmpegCore, FfmpegRun } from '../decode/ffmpegCore';

type Core = FfmpegCore;

const require = createRequire(import.meta.url);
let compiled: Promise<WebAssembly.Module> | null = null;

function compileCore(): Promise<WebAssembly.Module> {
  compiled ??= readFile(require.resolve('@ffmpeg/core/wasm')).then((bytes) => WebAssembly.compile(bytes));
  compiled.catch(() => (compiled = null));
  return compiled;
}

/** A fresh core instance from the compiled module. */
async function createCore(): Promise<Core> {
  const scriptPath = require.resolve('@ffmpeg/core');
  const create = require(scriptPath) as CoreFactory;
  const module = await compileCore();
  // The core is built for browsers and workers only; at start-up it reads `self.location` for its own folder.
  const g = globalThis as { self?: unknown };
  const hadSelf = 'self' in g;
  if (!hadSelf) g.self = { location: { href: pathToFileURL(scriptPath).href } };
  try {
    return await create({
      instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
        void WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module));
        return {};
      },
    });
  } finally {
    if (!hadSelf) delete g.self;
  }
}

const IN_DIR = '/in';
const OUT_DIR = '/out';

export class WasmFfmpeg implements FfmpegExec {
  private core: Core | null = null;
  private log: string[] = [];
  /** Instances created so far (1 + reloads). */
  instances = 0;

  private async instance(): Promise<Core> {
    if (this.core) return this.core;
    const core = await createCore();
    core.setLogger(({ message }) => this.log.push(message));
    core.FS.mkdir(IN_DIR);
    core.FS.mkdir(OUT_DIR);
    this.instances++;
    this.core = core;
    return core;
  }

  async run(input: Blob, inputName: string, args: string[], outputs: string[], timeoutMs = 120_000): Promise<FfmpegRun> {
    const core = await this.instance();
    const bytes = new Uint8Array(await input.arrayBuffer());
    const t0 = performance.now();
    this.log = [];
    let ret = -1;
    const files = new Map<string, Uint8Array>();
    const inputPath = `${IN_DIR}/${inputName}`;
    try {
      core.FS.writeFile(inputPath, bytes);
      core.setTimeout(timeoutMs);
      ret = core.exec(...args);
      core.reset();
      for (const name of outputs) {
        if (!core.FS.readdir(OUT_DIR).includes(name)) continue;
        files.set(name, core.FS.readFile(`${OUT_DIR}/${name}`));
        core.FS.unlink(`${OUT_DIR}/${name}`);
      }
      core.FS.unlink(inputPath);
    } catch (err) {
      this.log.push(`ffmpeg.wasm threw: ${err instanceof Error ? err.message : String(err)}`);
      ret = -1;
    }
    if (ret !== 0) this.core = null;
    return { ret, log: this.log, outputs: files, ms: performance.now() - t0 };
  }
}
