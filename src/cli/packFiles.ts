/** Writing a dataset pack folder from the CLI: pack.json and its shards, each at most the size asked for. */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../core/dataset';
import { parseManifest, writePack, type PackFile } from '../data/pack';
import { UsageError } from './args';

export interface PackFolderOptions {
  frames: number;
  maxShardBytes: number;
  clipIds?: { train: string[]; test: string[] };
}

/**
 * The pack's files with every shard at most `maxShardBytes`: writePack budgets the tensors, so when a shard's
 * header (clip ids) takes it over, the budget shrinks by the excess and the pack is laid out again.
 */
export function packFilesWithin(dataset: Dataset, options: PackFolderOptions): PackFile[] {
  let budget = options.maxShardBytes;
  for (;;) {
    const files = writePack(dataset, { frames: options.frames, maxShardBytes: budget, clipIds: options.clipIds });
    const largest = Math.max(...files.slice(1).map((f) => f.bytes.length));
    if (largest <= options.maxShardBytes) return files;
    const onlyOneClip = files.slice(1).some((f) => f.bytes.length > options.maxShardBytes && budget <= 1);
    if (onlyOneClip) throw new UsageError(`--shard-mb ${options.maxShardBytes / 1e6}: one clip takes ${largest} bytes, more than a shard may hold`);
    budget = Math.max(1, budget - (largest - options.maxShardBytes) - 64);
  }
}

/** Writes the pack into `out` (created when missing; shards of a pack written there before are replaced). Returns the shard count. */
export async function writePackFolder(out: string, dataset: Dataset, options: PackFolderOptions): Promise<number> {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out}: is a file; give a folder`);
  const files = packFilesWithin(dataset, options);
  await mkdir(out, { recursive: true });
  const previous = join(out, 'pack.json');
  if (existsSync(previous)) {
    try {
      const old = parseManifest(await readFile(previous, 'utf8'), previous);
      const kept = new Set(files.map((f) => f.name));
      for (const s of old.shards) if (!kept.has(s.file)) await rm(join(out, s.file), { force: true });
    } catch {
      // Not a readable pack: its files are left alone; pack.json is replaced below.
    }
  }
  // Shards first, pack.json last: a reader never finds a manifest listing shards not yet written.
  for (const f of [...files.slice(1), files[0]]) await writeFile(join(out, f.name), f.bytes);
  return files.length - 1;
}
