/** The registry of training methods: name -> factory. Add a method by adding one file and one line here. */
import type { MethodName, TrainConfig } from '../config';
import { createAgm } from './agm';
import { createBmm } from './bmm';
import { createErm } from './erm';
import { createGblend } from './gblend';
import { createGreedy } from './greedy';
import type { MethodContext, MethodFactory, TrainingMethod } from './method';
import { createMm } from './mm';
import { createMmPareto } from './mmpareto';
import { createOgmGe } from './ogm-ge';
import { createPmr } from './pmr';
import { createUmt } from './umt';
import { createAudioOnly, createVisualOnly } from './unimodal';

export const METHOD_FACTORIES: Record<MethodName, MethodFactory> = {
  erm: createErm,
  mm: createMm,
  bmm: createBmm,
  'ogm-ge': createOgmGe,
  'audio-only': createAudioOnly,
  'visual-only': createVisualOnly,
  mmpareto: createMmPareto,
  agm: createAgm,
  pmr: createPmr,
  umt: createUmt,
  gblend: createGblend,
  greedy: createGreedy,
};

export function createMethod(config: TrainConfig, context: MethodContext = {}): TrainingMethod {
  return METHOD_FACTORIES[config.method](config, context);
}

export type { TrainingMethod } from './method';
