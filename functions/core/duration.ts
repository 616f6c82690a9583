/**
 * Durations as operators read them.
 *
 * @example formatDuration(0) → "0s"; formatDuration(1620) → "27m"; formatDuration(3725) → "1h 02m 05s"
 */
export function formatDuration(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  if (s === 0) return '0s';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h}h`);
  if (m || (h && sec)) parts.push(h ? `${String(m).padStart(2, '0')}m` : `${m}m`);
  if (sec) parts.push(h || m ? `${String(sec).padStart(2, '0')}s` : `${sec}s`);
  return parts.join(' ');
}
