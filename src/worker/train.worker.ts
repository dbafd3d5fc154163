// placeholder until the engine lands
/// <reference lib="webworker" />
import type { TrainIn, TrainOut } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (e: MessageEvent<TrainIn>) => {
  const reply: TrainOut = { type: 'error', message: `the training engine is not built yet; cannot handle "${e.data.type}"` };
  scope.postMessage(reply);
  scope.postMessage({ type: 'state', state: 'error' } satisfies TrainOut);
};
