/**
 * Test helper: the repository's media fixtures (scripts/make-fixtures.sh, the clips and dataset folders the e2e
 * tests decode), made once with the system ffmpeg into e2e/fixtures/generated (the script only checks its stamp when
 * they are up to date). Without ffmpeg, or with an ffmpeg lacking the script's encoders, the tests that need them are
 * skipped with the reason; in CI (CI=true) that is an error.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');
export const FIXTURES_DIR = join(REPO, 'e2e', 'fixtures', 'generated');

export type Fixtures = { ok: true; dir: string } | { ok: false; reason: string };

let made: Fixtures | null = null;

/** Makes the fixtures if needed; `ok: false` with the reason when they cannot be made. */
export function mediaFixtures(): Fixtures {
  if (made) return made;
  const ffmpeg = spawnSync(process.env.FFMPEG ?? 'ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' });
  if (ffmpeg.error || ffmpeg.status !== 0) {
    made = { ok: false, reason: 'no ffmpeg on PATH to make the media fixtures (apt-get install ffmpeg)' };
  } else {
    // flock: test files run in parallel, and the script replaces the folder when it rebuilds it.
    const r = spawnSync('flock', [join(tmpdir(), 'bmm-lab-make-fixtures.lock'), join(REPO, 'scripts', 'make-fixtures.sh')], { encoding: 'utf8', timeout: 120_000 });
    made = r.status === 0 ? { ok: true, dir: FIXTURES_DIR } : { ok: false, reason: `scripts/make-fixtures.sh failed: ${(r.stderr || r.error?.message || '').trim()}` };
  }
  if (!made.ok && process.env.CI) throw new Error(`media fixtures are required in CI: ${made.reason}`);
  return made;
}

/** A fresh copy of fixture folders (tests that change files work on a copy): `copyFixtures({ 'set': 'class-folders' })`. */
export function copyFixtures(parts: Record<string, string>): string {
  const fx = mediaFixtures();
  if (!fx.ok) throw new Error(fx.reason);
  const root = mkdtempSync(join(tmpdir(), 'bmm-fixtures-'));
  for (const [to, from] of Object.entries(parts)) cpSync(join(fx.dir, from), join(root, to), { recursive: true });
  return root;
}
