/**
 * React access to the lab: the controller through context, and slices of the store's state through
 * `useSyncExternalStore`. Selectors must return stored values (not new objects), or compute with useMemo after.
 */
import { createContext, useContext, useMemo, useSyncExternalStore } from 'react';
import type { LabController } from './labController';
import type { RunRecord } from './run';
import { selectStableRuns, type LabState } from './store';

export const LabContext = createContext<LabController | null>(null);

export function useController(): LabController {
  const controller = useContext(LabContext);
  if (!controller) throw new Error('useController: no LabContext provider above this component');
  return controller;
}

export function useLab<T>(selector: (state: LabState) => T): T {
  const { store } = useController();
  const get = () => selector(store.getState());
  return useSyncExternalStore(store.subscribe, get, get);
}

const selectOrder = (s: LabState) => s.runOrder;

/** Every run, oldest first; a new array only when a run or the order changes (not on per-batch points). */
export function useRunList(): RunRecord[] {
  const runs = useLab(selectStableRuns);
  const order = useLab(selectOrder);
  return useMemo(() => order.map((id) => runs[id]).filter(Boolean), [order, runs]);
}
