/**
 * Small finished runs for the results-table tests: a config from `makeConfig` overrides and, per epoch, the
 * fused, audio and visual test accuracies (and optionally validation accuracies).
 */
import { makeConfig, type TrainConfig } from '../../src/core/config';
import type { ModalityPair } from '../../src/core/modalities';
import type { GroupableRun } from '../../src/core/runGroups';

type Overrides = Parameters<typeof makeConfig>[0];

export interface TableRunSpec {
  id: string;
  dataset: string;
  config: Overrides;
  /** Per epoch: [fused, audio, visual] test accuracy (fractions). */
  test: [number, number, number][];
  /** Per epoch: [fused, audio, visual] validation accuracy; absent: no validation split. */
  val?: [number, number, number][];
  status?: string;
  /** The branch kinds; absent: none recorded (audio + RGB). */
  modalities?: ModalityPair;
}

export function tableRun(spec: TableRunSpec): GroupableRun & { config: TrainConfig } {
  const config = makeConfig({ epochs: spec.test.length, ...spec.config });
  return {
    id: spec.id,
    datasetName: spec.dataset,
    ...(spec.modalities ? { modalities: spec.modalities } : {}),
    config,
    status: spec.status ?? 'done',
    epochs: spec.test.map(([fused, audio, visual], i) => ({
      epoch: i + 1,
      testAcc: fused,
      audio: { trainAcc: audio, testAcc: audio },
      visual: { trainAcc: visual, testAcc: visual },
      ...(spec.val ? { val: { fused: spec.val[i][0], audio: spec.val[i][1], visual: spec.val[i][2] } } : {}),
    })),
  };
}
