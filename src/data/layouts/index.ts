/** Dataset discovery (see plan.ts): what the rest of the app imports. */
export { CREMA_D_CLASS_NAMES, CREMA_D_EMOTIONS, parseCremaDName, type CremaDName } from './cremad';
export { naturalCompare } from './paths';
export { EXPECTED_LAYOUTS, planDataset } from './plan';
export { stratifiedSplit } from './split';
export { summarizePlan, type PlanSummary } from './summary';
export {
  DatasetLayoutError,
  type DatasetLayout,
  type DatasetPlan,
  type FileRef,
  type IgnoredFile,
  type IgnoreKind,
  type PlannedClip,
  type PlanOptions,
  type ReadText,
  type SplitName,
  type SplitSource,
} from './types';
