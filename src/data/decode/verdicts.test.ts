import { describe, expect, it } from 'vitest';
import { planDataset, type FileRef } from '../layouts';
import { countVerdicts, fileVerdicts, verdictCountsText } from './verdicts';

const ref = (path: string): FileRef => ({ path, size: 10, lastModified: 1 });

describe('fileVerdicts', () => {
  it('gives every planned clip, ignored file and unreadable file one verdict', async () => {
    const plan = await planDataset(['s/a/1.mp4', 's/a/2.mp4', 's/a/2.wav', 's/b/3.mp4', 's/b/4.mp4', 's/notes.md', 's/b/lonely.wav'].map(ref), async () => '');
    const rows = fileVerdicts(plan, [{ path: 's/b/locked.mp4', reason: 'could not read the file: EACCES' }], {
      cancelled: false,
      failures: [{ clipId: 's/b/3.mp4', path: 's/b/3.mp4', reason: 'not a media file' }],
      clipWarnings: [
        { clipId: 's/a/2.mp4', path: 's/a/2.mp4', reason: 'a' },
        { clipId: 's/a/2.mp4', path: 's/a/2.mp4', reason: 'b' },
      ],
    });
    expect(rows.map((r) => [r.path, r.verdict, r.reasons])).toEqual([
      ['s/a/1.mp4', 'used', []],
      ['s/a/2.mp4', 'warned', ['a', 'b']],
      ['s/b/3.mp4', 'skipped', ['not a media file']],
      ['s/b/4.mp4', 'used', []],
      ['s/notes.md', 'skipped', ["unknown extension '.md' (expected a video, audio, .jpg/.png frame or .txt/.csv list)"]],
      ['s/b/lonely.wav', 'skipped', ['no video named lonely.* in the same folder']],
      ['s/b/locked.mp4', 'skipped', ['could not read the file: EACCES']],
    ]);
    expect(rows[1].files).toEqual(['s/a/2.mp4', 's/a/2.wav']);
    expect(verdictCountsText(countVerdicts(rows))).toBe('2 used, 1 used with a warning, 4 skipped');
  });

  it("names the failing file when it is not the clip's main one, and marks clips a cancel left undecoded", async () => {
    const plan = await planDataset(['s/a/1.mp4', 's/a/1.wav', 's/b/2.mp4'].map(ref), async () => '');
    const rows = fileVerdicts(plan, [], { cancelled: false, failures: [{ clipId: 's/a/1.mp4', path: 's/a/1.wav', reason: 'empty file' }], clipWarnings: [] });
    expect(rows[0]).toMatchObject({ verdict: 'skipped', reasons: ['s/a/1.wav: empty file'] });
    const cancelled = fileVerdicts(plan, [], { cancelled: true, failures: [], clipWarnings: [] });
    expect(cancelled.map((r) => r.verdict)).toEqual(['skipped', 'skipped']);
  });
});
