/** A look at a file's first bytes, to name the problem when decoders reject it. Pure. */

/** Bytes worth reading for sniffNotMedia. */
export const SNIFF_BYTES = 512;

/**
 * A reason when the first bytes rule out a media file (empty, or text: no NUL byte and at least 95 % printable
 * ASCII or whitespace); null when they may be media. Every audio/video container starts with binary fields.
 */
export function sniffNotMedia(head: Uint8Array): string | null {
  if (head.length === 0) return 'empty file';
  let printable = 0;
  for (const b of head) {
    if (b === 0) return null;
    if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  }
  if (printable >= 0.95 * head.length) return 'not a media file: it contains text, not audio or video';
  return null;
}
