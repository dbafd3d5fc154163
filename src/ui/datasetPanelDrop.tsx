/**
 * The dataset panel's drop part: the drop zone with "Add dataset folder", the folder-walk count, the files
 * collected so far with Clear, and why they fit no layout.
 */
import { useState, type DragEvent } from 'react';
import { entriesFromDataTransfer, filesFromFileList, type DroppedFile, type FsEntryLike } from '../data/decode/fileEntries';
import { plural } from './datasetPanelText';

export interface DatasetDropZoneProps {
  disabled: boolean;
  onDrop(entries: FsEntryLike[], loose: File[]): void;
  onPick(files: DroppedFile[]): void;
}

export function DatasetDropZone({ disabled, onDrop, onPick }: DatasetDropZoneProps) {
  const [dragging, setDragging] = useState(false);
  const drop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (disabled) return;
    // The entries must be taken during the event; the walk is asynchronous.
    const { entries, files } = entriesFromDataTransfer(e.dataTransfer);
    onDrop(entries, files);
  };
  return (
    <div
      className={`drop-zone${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={drop}
      data-testid="dataset-drop-zone"
    >
      <p>Drop dataset folders here (CREMA-D, class folders, UCF-101, frame folders), or</p>
      <label className="file-button">
        Add dataset folder
        <input
          type="file"
          multiple
          aria-label="Add dataset folder"
          disabled={disabled}
          ref={(el) => el?.setAttribute('webkitdirectory', '')}
          onChange={(e) => {
            if (e.target.files) onPick(filesFromFileList(e.target.files));
            e.target.value = '';
          }}
        />
      </label>
      <p className="hint">Files stay on this computer: they are only read, never changed or uploaded.</p>
    </div>
  );
}

export interface DroppedFilesProps {
  /** Files counted so far by a folder walk; null when none runs. */
  reading: number | null;
  fileCount: number;
  folders: string[];
  planError: string | null;
  disabled: boolean;
  onClear(): void;
}

export function DroppedFiles({ reading, fileCount, folders, planError, disabled, onClear }: DroppedFilesProps) {
  return (
    <>
      {reading !== null && <p className="hint">Reading folders… {reading} files</p>}
      {fileCount > 0 && (
        <p className="hint">
          {plural(fileCount, 'file')} from {folders.join(', ')}{' '}
          <button type="button" className="link" onClick={onClear} disabled={disabled}>
            Clear
          </button>
        </p>
      )}
      {planError && (
        <p className="hint warn" role="alert">
          {planError}
        </p>
      )}
    </>
  );
}
