/** Dropped files and text readers for the layout tests. */
import type { DatasetPlan, FileRef } from '../../src/data/layouts/types';

/** FileRefs of the given paths, each a different non-zero size. */
export function refs(paths: string[]): FileRef[] {
  return paths.map((path, i) => ({ path, size: 1000 + i, lastModified: 1_700_000_000_000 }));
}

/** A ReadText over the given texts that fails for any other path. */
export function reader(texts: Record<string, string>): (path: string) => Promise<string> {
  return async (path) => {
    if (!(path in texts)) throw new Error(`no such file ${path}`);
    return texts[path];
  };
}

export function byId(plan: DatasetPlan) {
  return new Map(plan.clips.map((c) => [c.id, c]));
}

/** Path -> kind of every ignored file. */
export function ignoredKinds(plan: DatasetPlan): Record<string, string> {
  return Object.fromEntries(plan.ignored.map((i) => [i.path, i.kind]));
}
