import { describe, expect, it } from 'vitest';
import { sniffNotMedia } from './sniff';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('sniffNotMedia', () => {
  it('names text files and empty files', () => {
    expect(sniffNotMedia(bytes('This is a text file with a .mp4 extension; decoders must reject it.\n'))).toMatch(/contains text/);
    expect(sniffNotMedia(new Uint8Array(0))).toBe('empty file');
  });

  it('leaves real container headers alone', () => {
    const mp4 = Uint8Array.from([0, 0, 0, 0x20, ...bytes('ftypisom'), 0, 0, 2, 0]);
    const flv = Uint8Array.from([...bytes('FLV'), 1, 5, 0, 0, 0, 9]);
    const webm = Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01]);
    const mp3 = Uint8Array.from([0xff, 0xfb, 0x90, 0x64, 0x00]);
    for (const head of [mp4, flv, webm, mp3]) expect(sniffNotMedia(head)).toBeNull();
  });
});
