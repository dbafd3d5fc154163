/** File I/O around the session's weight exports and imports for the CLI (the page does the same with downloads and File objects). */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainingSession } from '../core/session';

/** Writes the session's weights; returns the paths written. */
export async function exportSessionFiles(session: TrainingSession, safetensorsPath: string | null, tfjsDir: string | null): Promise<string[]> {
  const written: string[] = [];
  if (safetensorsPath) {
    const [file] = await session.exportFiles('safetensors');
    await writeFile(safetensorsPath, file.bytes);
    written.push(safetensorsPath);
  }
  if (tfjsDir) {
    await mkdir(tfjsDir, { recursive: true });
    for (const file of await session.exportFiles('tfjs')) {
      await writeFile(join(tfjsDir, file.filename), file.bytes);
      written.push(join(tfjsDir, file.filename));
    }
  }
  return written;
}

/** Loads a .safetensors file into a session, checked against its model. */
export async function importWeightsFile(session: TrainingSession, path: string): Promise<void> {
  const bytes = await readFile(path);
  try {
    session.importWeights(bytes);
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
