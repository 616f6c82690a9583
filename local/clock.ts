import type { Clock } from '../functions/ports.ts';

/**
 * Local mode's clock: virtual time runs `speed` times faster than real time, so a 10-minute linear
 * deployment takes seconds at `--speed 100`. Everything local that waits (bakes, hook polls, the
 * synthetic traffic) waits on this clock.
 *
 * @example new VirtualClock(60).sleep(300_000) resolves after 5 s of real time (5 virtual minutes).
 */
export class VirtualClock implements Clock {
  readonly speed: number;
  private readonly virtualOrigin: number;
  private readonly realOrigin: number;

  constructor(speed = 1, virtualOrigin = Date.now()) {
    if (!(speed > 0)) throw new RangeError('speed must be more than 0');
    this.speed = speed;
    this.virtualOrigin = virtualOrigin;
    this.realOrigin = performance.now();
  }

  now(): number {
    return this.virtualOrigin + (performance.now() - this.realOrigin) * this.speed;
  }

  /** Real milliseconds that `virtualMs` take. */
  real(virtualMs: number): number {
    return Math.max(0, virtualMs / this.speed);
  }

  /** Resolves after `virtualMs` of virtual time; rejects with the signal's reason if aborted first. */
  sleep(virtualMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, this.real(virtualMs));
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  sleepUntil(virtualTime: number, signal?: AbortSignal): Promise<void> {
    return this.sleep(virtualTime - this.now(), signal);
  }
}
