/// <reference lib="webworker" />
/**
 * UMAP worker: embeds feature snapshots off the main thread, one at a time in arrival order.
 */
import { assertNever, embeddingTransferables, type UmapIn, type UmapOut } from './protocol';
import { embedSnapshot } from './umapEmbed';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(message: UmapOut, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

scope.onmessage = (e: MessageEvent<UmapIn>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'embed': {
      const t0 = performance.now();
      try {
        const embedding = embedSnapshot(msg.features, msg.seed);
        post({ type: 'embedding', key: msg.key, embedding, seconds: (performance.now() - t0) / 1000 }, embeddingTransferables(embedding));
      } catch (err) {
        post({ type: 'error', key: msg.key, message: err instanceof Error ? err.message : String(err) });
      }
      break;
    }
    default:
      assertNever(msg.type);
  }
};
