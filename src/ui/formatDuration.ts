/**
 * The one way the page writes a duration (elapsed time, ETA, how long a decode took): whole seconds under a
 * minute, minutes and seconds under an hour, hours and minutes beyond.
 */

/** "2h 05m", "3m 07s", "42s", "<1s" (more than 0 but under half a second); '–' when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s === 0 && seconds > 0) return '<1s';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}
