/**
 * React access to the lab: the controller through context, and slices of the store's state through
 * `useSyncExternalStore`. Selectors must return stored values (not new objects), or compute with useMemo after.
 */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { LabController } from './labController';
import type { LabState } from './store';

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
