/**
 * A dataset decoded on the page (dropped folder) as an entry of the dataset picker: packed into flat buffers
 * once, sent to the training worker on the first session that uses it.
 */
import type { Dataset } from '../core/dataset';
import { packDataset } from '../worker/datasetTransfer';
import type { DatasetEntry } from './store';

let added = 0;

/** The picker entry of a decoded dataset; each call gets a new id (the same folder added twice is a new entry). */
export function datasetEntry(dataset: Dataset, ignoredFiles = 0): DatasetEntry {
  const { packed } = packDataset(dataset);
  const ignored = ignoredFiles > 0 ? `, ${ignoredFiles} files ignored` : '';
  added += 1;
  return {
    id: `folder:${added}:${dataset.name}`,
    name: dataset.name,
    description: `${dataset.train.size} train / ${dataset.test.size} test clips, ${dataset.classNames.length} classes, decoded from a dropped folder${ignored}`,
    source: { kind: 'transfer', ...packed },
  };
}
