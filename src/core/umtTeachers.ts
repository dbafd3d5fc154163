/**
 * Which run of a sweep is a UMT run's teacher: UMT (`methods/umt.ts`) distils from the exported weights of an
 * `audio-only` and a `visual-only` run (first and second branch alone) on the same data and width. In a sweep
 * (the lab's Table 2 queue, the torchrun script) a `umt` entry's teachers are the entries of the same seed and
 * the same shared settings trained as `audio-only` and `visual-only` with their method settings at the defaults.
 */
import { ALL_SETTINGS, setSetting, type MethodName, type TrainConfig } from './config';
import { seededGroupKey } from './runGroups';

export type TeacherBranch = 'audio' | 'visual';

export const TEACHER_BRANCHES: readonly TeacherBranch[] = ['audio', 'visual'];

/** The method of UMT's teacher for a branch. */
export const TEACHER_METHODS = { audio: 'audio-only', visual: 'visual-only' } as const satisfies Record<TeacherBranch, MethodName>;

/**
 * The config of the run whose weights are the teacher of the `umt` run `umt` for `branch`: the same config
 * (preset, sizes, seed, shared settings) trained as `audio-only` or `visual-only`, method settings at their defaults.
 */
export function umtTeacherConfig(umt: TrainConfig, branch: TeacherBranch): TrainConfig {
  let c = setSetting(umt, 'method', TEACHER_METHODS[branch]);
  for (const s of ALL_SETTINGS) if (s.methods) c = setSetting(c, s.path, s.default);
  return c;
}

/**
 * Whether a run of `config` can be the teacher of `umt` for `branch`: the same group settings (those its method
 * uses: preset, sizes, optimiser, fusion …) and seed as `umtTeacherConfig`; the rest (backend, maps) aside.
 */
export function isTeacherConfig(config: TrainConfig, umt: TrainConfig, branch: TeacherBranch): boolean {
  return config.method === TEACHER_METHODS[branch] && seededGroupKey(config) === seededGroupKey(umtTeacherConfig(umt, branch));
}
