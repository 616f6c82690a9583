/** How the console writes times, durations and percents. */

/** `14:03:07`, local time of the browser. */
export function clockTime(iso: string | number | undefined): string {
  if (iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** `2026-01-01 14:03`, for lists. */
export function dateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * A duration for people: whole seconds under a minute, then minutes and seconds, then hours.
 *
 * @example duration(75_000) → '1 m 15 s'; duration(3_600_000) → '1 h 0 m'; duration(400) → '0 s'
 */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} m`;
}

/** `12 %`, `2.5 %`. */
export function percent(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) return '—';
  return `${Math.round(p * 10) / 10} %`;
}
