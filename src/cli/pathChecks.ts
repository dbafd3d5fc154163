/**
 * The CLI's checks of the files and folders a command names, before any work starts: inputs must exist and be
 * readable, outputs must land in a folder that exists and is writable, and never replace a folder with a file or
 * the other way round. Each refusal is one sentence naming the flag and the path (never a bare errno).
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsErrorText } from '../data/node/fsErrors';
import { UsageError } from './args';

function can(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** An input file: it must exist, be a file and be readable. */
export function checkInputFile(flag: string, path: string, what = 'file'): void {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: no such ${what}`);
  if (statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: is a folder; give the ${what}`);
  if (!can(path, constants.R_OK)) throw new UsageError(`${flag} ${path}: the ${what} cannot be read (no read permission for this user)`);
}

/** An input folder: it must exist, be a folder and be listable. */
export function checkInputFolder(flag: string, path: string, what: string): void {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: no such folder`);
  if (!statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: not a folder (expected ${what})`);
  if (!can(path, constants.R_OK | constants.X_OK)) throw new UsageError(`${flag} ${path}: the folder cannot be read (no permission to list it)`);
}

/** Reads an input file as text, with the flag and the path in the message when it fails. */
export function readInputText(flag: string, path: string, what = 'file'): string {
  checkInputFile(flag, path, what);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${path}: the ${what} cannot be read (${fsErrorText(e)})`);
  }
}

/** The nearest folder at or above `path` that exists (what `mkdir -p` would create in). */
function existingAncestor(path: string): string {
  let dir = resolve(path);
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

/** An output file: its folder must exist and be writable; an existing file must be writable, not a folder. */
export function checkOutputFile(flag: string, path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new UsageError(`${flag} ${path}: the folder ${dirname(path)} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${path}: ${dirname(path)} is a file, not a folder`);
  if (!can(dir, constants.W_OK | constants.X_OK)) throw new UsageError(`${flag} ${path}: the folder ${dirname(path)} is not writable`);
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: is a folder; give a file name`);
    if (!can(path, constants.W_OK)) throw new UsageError(`${flag} ${path}: the file exists and cannot be replaced (no write permission)`);
  }
}

/**
 * An output folder (created when missing, with its parents): it must not be a file, and the folder it is (or the
 * nearest existing folder above it) must be writable.
 */
export function checkOutputFolder(flag: string, path: string): void {
  if (existsSync(path) && !statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: is a file; give a folder`);
  const base = existingAncestor(path);
  if (!statSync(base).isDirectory()) throw new UsageError(`${flag} ${path}: ${base} is a file, not a folder`);
  if (!can(base, constants.W_OK | constants.X_OK)) {
    throw new UsageError(existsSync(path) ? `${flag} ${path}: the folder is not writable` : `${flag} ${path}: cannot be created (${base} is not writable)`);
  }
}
