/** What a plan holds, counted: clips per class per split and ignored files by kind (the panel's table). */
import type { ModalityPair } from '../../core/modalities';
import type { DatasetLayout, DatasetPlan, FileRef, IgnoreKind, SplitSource } from './types';

export interface PlanSummary {
  layout: DatasetLayout;
  splitSource: SplitSource;
  pairs: ModalityPair[];
  classes: Array<{ label: number; name: string; train: number; test: number }>;
  train: number;
  test: number;
  ignored: number;
  ignoredByKind: Partial<Record<IgnoreKind, number>>;
  warnings: number;
}

/** Clips per class per split, and counts of ignored files by kind. */
export function summarizePlan(plan: DatasetPlan<FileRef>): PlanSummary {
  const classes = plan.classNames.map((name, label) => ({ label, name, train: 0, test: 0 }));
  for (const c of plan.clips) classes[c.label][c.split]++;
  const ignoredByKind: Partial<Record<IgnoreKind, number>> = {};
  for (const i of plan.ignored) ignoredByKind[i.kind] = (ignoredByKind[i.kind] ?? 0) + 1;
  return {
    layout: plan.layout,
    splitSource: plan.splitSource,
    pairs: plan.pairs,
    classes,
    train: classes.reduce((s, c) => s + c.train, 0),
    test: classes.reduce((s, c) => s + c.test, 0),
    ignored: plan.ignored.length,
    ignoredByKind,
    warnings: plan.warnings.length,
  };
}
