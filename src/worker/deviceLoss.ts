/**
 * What the training worker does when the GPU goes away mid-run: recognise the failure, and carry the run over to
 * another backend from its last completed epoch (the session keeps that checkpoint as plain CPU-side data, so it
 * survives the device). Kept apart from the worker so it can be tested in Node.
 */
import type { BackendInfo } from '../core/backend';
import type { BackendName } from '../core/config';
import { TrainingSession } from '../core/session';

/** A fatal session error that means the WebGPU device was lost (driver reset, GPU process crash, tab discarded). */
export function isDeviceLoss(message: string, backend: BackendName | undefined): boolean {
  return backend === 'webgpu' && /device.*(lost|destroyed)|GPUDevice|DXGI|context lost/i.test(message);
}

/**
 * Disposes the failed session and builds a new one on `backend` from the last completed epoch, with the same
 * config (but the backend), dataset, metrics, optimiser and RNG state. `startBackend` switches TF.js.
 */
export async function resumeOnBackend(failed: TrainingSession, backend: BackendName, startBackend: (b: BackendName) => Promise<BackendInfo>): Promise<TrainingSession> {
  const checkpoint = await failed.checkpoint();
  const config = { ...failed.config, backend };
  try {
    failed.dispose();
  } catch {
    // Tensors of a lost device may not dispose cleanly; they are gone with it anyway.
  }
  await startBackend(backend);
  return TrainingSession.create({ config, dataset: failed.dataset, checkpoint: { ...checkpoint, config }, keepCurrentBackend: true });
}
