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
import { CoreRunner, IN_DIR, type CoreFactory, type FfmpegCore, type PlaceInput } from '../decode/ffmpegRunner';



const require = createRequire(import.meta.url);
let compiled: Promise<WebAssembly.Module> | null = null;

function compileCore(): Promise<WebAssembly.Module> {
  compiled ??= readFile(require.resolve('@ffmpeg/core/wasm')).then((bytes) => WebAssembly.compile(bytes));
  compiled.catch(() => (compiled = null));
  return compiled;
}

/** A fresh core instance from the compiled module. */
async function createCore(): Promise<FfmpegCore> {
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

/** The input's bytes, written into the core's memory file system (Node has no WORKERFS). */
const writeInput: PlaceInput = async (core, input, name) => {
  const path = `${IN_DIR}/${name}`;
  core.FS.writeFile(path, new Uint8Array(await input.arrayBuffer()));
  return () => core.FS.unlink(path);
};

/** ffmpeg.wasm in Node, one clip at a time, with the page's reload-on-failure (`CoreRunner`). */
export class WasmFfmpeg extends CoreRunner implements FfmpegExec {
  constructor() {
    super(createCore, writeInput);
  }
}
