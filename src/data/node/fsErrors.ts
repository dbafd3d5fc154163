/** File-system errors in words a user acts on ("no read permission"), not errno codes. Node only. */

const WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory (or a link to a missing file)',
  EACCES: 'permission denied: this user may not read it',
  EPERM: 'the operating system does not allow it',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of its path is not a folder',
  ELOOP: 'a loop of symbolic links',
  EMFILE: 'too many files open at once',
  EIO: 'an input/output error of the disk',
  ENAMETOOLONG: 'the name is too long',
};

/** The error's cause in words: known codes explained, other messages without their `CODE: ` prefix. */
export function fsErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in WORDS) return WORDS[code];
  return err instanceof Error ? err.message.replace(/^[A-Z]+: /, '') : String(err);
}
