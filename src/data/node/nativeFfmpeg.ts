/**
 * The system `ffmpeg` as the decoder's FfmpegExec: the page's arguments run as a child process, `/in/<name>` mapped
 * to the file on disk and `/out/<name>` to a private temporary folder, with the same default flags as ffmpeg.wasm
 * (`-nostdin -y`) and ffmpeg.wasm's C code paths. Several instances run at once (one process each). Node only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FfmpegExec } from '../decode/decodeClip';
import type { FfmpegRun } from '../decode/ffmpegCore';
import { diskPathOf } from './folderFiles';

/**
 * What ffmpeg.wasm's core puts before every command line, and `-cpuflags 0`: ffmpeg.wasm is built without assembly,
 * so the C code paths (no SIMD) decode here too. With them MP3 audio and JPEG frames come out bit-identical to the
 * page's; with SIMD, float decoders round differently and the log spectrogram of quiet bins moves by up to 0.5.
 * It costs about a third of the decoding speed.
 */
const CORE_DEFAULT_ARGS = ['-nostdin', '-y', '-cpuflags', '0'];

/** The first line of `ffmpeg -version` (e.g. "ffmpeg version 5.1.6-0+deb12u1 ..."), or null when it cannot run. */
export function findSystemFfmpeg(command = process.env.FFMPEG ?? 'ffmpeg'): { command: string; version: string } | null {
  const r = spawnSync(command, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return null;
  return { command, version: r.stdout.split('\n')[0].trim() };
}

export class NativeFfmpeg implements FfmpegExec {
  private readonly running = new Set<ChildProcess>();

  constructor(readonly command = 'ffmpeg') {}

  async run(input: Blob, inputName: string, args: string[], outputs: string[], timeoutMs = 120_000): Promise<FfmpegRun> {
    const t0 = performance.now();
    const dir = await mkdtemp(join(tmpdir(), 'bmm-ffmpeg-'));
    try {
      let inputPath = diskPathOf(input);
      if (!inputPath) {
        inputPath = join(dir, `in-${inputName}`);
        await writeFile(inputPath, new Uint8Array(await input.arrayBuffer()));
      }
      const outDir = join(dir, 'out');
      await mkdir(outDir);
      // `file:` so that no part of a dataset's file name (`:`, `#`, `%`, `|`) reads as a protocol or an option.
      const source = `file:${inputPath}`;
      const mapped = args.map((a) => (a === `/in/${inputName}` ? source : a.startsWith('/out/') ? join(outDir, a.slice(5)) : a));
      const { ret, log, crashed } = await this.exec([...CORE_DEFAULT_ARGS, ...mapped], timeoutMs);
      const files = new Map<string, Uint8Array>();
      const written = new Set(await readdir(outDir).catch(() => [] as string[]));
      for (const name of outputs) if (written.has(name)) files.set(name, new Uint8Array(await readFile(join(outDir, name))));
      return { ret, log, outputs: files, ms: performance.now() - t0, crashed };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private exec(args: string[], timeoutMs: number): Promise<{ ret: number; log: string[]; crashed: boolean }> {
    return new Promise((done) => {
      const child = spawn(this.command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      this.running.add(child);
      let text = '';
      let timedOut = false;
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => (text += chunk));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      const finish = (ret: number, extra: string | null, crashed: boolean) => {
        clearTimeout(timer);
        this.running.delete(child);
        const log = text.split(/\r\n|\n|\r/).filter((l) => l !== '');
        if (extra) log.push(extra);
        done({ ret, log, crashed });
      };
      child.on('error', (err) => finish(-1, `ffmpeg could not be started (${this.command}): ${err.message}`, true));
      child.on('close', (code, signal) => {
        if (timedOut) finish(-1, `ffmpeg took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`, false);
        else if (code === null) finish(-1, `ffmpeg was killed by ${signal ?? 'a signal'}`, true);
        else finish(code, null, false);
      });
    });
  }

  /** Stops the processes still running (Cancel). */
  kill(): void {
    for (const child of this.running) child.kill('SIGKILL');
  }
}
