/**
 * The server's time as the page reckons it. On AWS that is the wall clock. Local mode runs on a virtual
 * clock (`--speed 30`: thirty seconds a second; the tests' clock moves only in steps), so a bake's end
 * written in its time means nothing against `Date.now()`:
 * - when the stream's `meta` says what the server's clock read and how fast it runs, that is exact;
 * - otherwise, in local mode, the newest timestamp received is taken as the server's "now" when it came,
 *   moving on at one second a second — close enough between two events, and right at each one.
 * Time never goes back.
 */
export class ServerClock {
  private mode: 'wall' | 'told' | 'seen' = 'wall';
  private base = 0;
  private realBase = 0;
  private speed = 1;
  private latest = 0;
  private latestSeenAt = 0;

  /** From the stream's `meta`. */
  set(mode: 'local' | 'aws', clock: { now: string; speed: number } | undefined): void {
    const now = clock ? Date.parse(clock.now) : Number.NaN;
    if (clock && Number.isFinite(now)) {
      this.mode = 'told';
      this.base = now;
      this.realBase = performance.now();
      this.speed = clock.speed >= 0 ? clock.speed : 1;
      this.latest = Math.max(this.latest, now);
    } else {
      this.mode = mode === 'local' ? 'seen' : 'wall';
    }
  }

  /** A timestamp the server wrote: its clock had reached it. */
  saw(iso: string | undefined): void {
    if (!iso) return;
    const t = Date.parse(iso);
    if (Number.isFinite(t) && t > this.latest) {
      this.latest = t;
      this.latestSeenAt = performance.now();
    }
  }

  now(): number {
    switch (this.mode) {
      case 'told':
        return Math.max(this.latest, this.base + (performance.now() - this.realBase) * this.speed);
      case 'seen':
        return this.latest === 0 ? Date.now() : this.latest + (performance.now() - this.latestSeenAt);
      default:
        return Math.max(this.latest, Date.now());
    }
  }
}
