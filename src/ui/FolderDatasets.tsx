/**
 * The "Add dataset folder" slot of the controls: the dataset panel (drop or pick folders, decode locally), whose
 * decoded dataset joins the picker and is selected.
 */
import { useCallback } from 'react';
import type { Dataset } from '../core/dataset';
import { useController, useLab } from './context';
import { DatasetPanel } from './DatasetPanel';
import { datasetEntry } from './datasetEntry';
import type { LabState } from './store';

const selectPreset = (s: LabState) => s.config.preset;
const selectFrames = (s: LabState) => s.config.frames;

export function FolderDatasets() {
  const controller = useController();
  const preset = useLab(selectPreset);
  const frames = useLab(selectFrames);
  const download = useCallback((name: string, data: Blob) => controller.download(name, data), [controller]);
  const onDataset = useCallback(
    (dataset: Dataset, info: { ignored: number }) => controller.addDataset(datasetEntry(dataset, info.ignored)),
    [controller],
  );
  return <DatasetPanel preset={preset} frames={frames} download={download} onDataset={onDataset} />;
}
