/** File I/O around the weight exporters for the CLI (the browser does the same with downloads and File objects). */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportSafetensors, exportTfjs, importSafetensors } from '../core/export';
import type { TrainingSession } from '../core/session';

/** Writes the session's weights; returns the paths written. */
export async function exportSessionFiles(session: TrainingSession, safetensorsPath: string | null, tfjsDir: string | null): Promise<string[]> {
  const { weights, bnBatchesTracked, specs } = await session.weights();
  const meta = session.weightsMetadata();
  const written: string[] = [];
  if (safetensorsPath) {
    await writeFile(safetensorsPath, exportSafetensors(specs, weights, bnBatchesTracked, meta));
    written.push(safetensorsPath);
  }
  if (tfjsDir) {
    await mkdir(tfjsDir, { recursive: true });
    const { modelJson, weightsBin } = await exportTfjs(specs, weights, meta);
    await writeFile(join(tfjsDir, 'model.json'), modelJson);
    await writeFile(join(tfjsDir, 'weights.bin'), weightsBin);
    written.push(join(tfjsDir, 'model.json'), join(tfjsDir, 'weights.bin'));
  }
  return written;
}

/** Loads a .safetensors file into a session, checked against its model. */
export async function importWeightsFile(session: TrainingSession, path: string): Promise<void> {
  const bytes = await readFile(path);
  let imported;
  try {
    imported = importSafetensors(bytes, session.avModel.options);
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  session.loadWeights(imported.weights, imported.bnBatchesTracked);
}
