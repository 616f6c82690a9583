import type { Clock } from '../functions/ports.ts';

/**
 * What local mode waits on: every bake, hook poll, steady check, termination wait and synthetic-traffic
 * round waits on one of these, never on the real clock, so time can be compressed (people) or stepped
 * (tests) without touching the code that waits.
 */
export interface LocalClock extends Clock {
  /** Resolves after `virtualMs` of virtual time; rejects with the signal's reason if aborted first. */
  sleep(virtualMs: number, signal?: AbortSignal): Promise<void>;
  sleepUntil(virtualTime: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` about every `virtualMs` of virtual time until the returned function is called. */
  every(virtualMs: number, fn: () => void): () => void;
  /** Real milliseconds the local engine waits where it cannot use this clock (Retry intervals). */
  real(virtualMs: number): number;
  /** Something stopped working: a clock that moves only when all is quiet looks again. */
  poke?(): void;
}

/** The shortest real interval of `VirtualClock.every`. */
const EVERY_MIN_REAL_MS = 100;

/**
 * Local mode's clock for people: virtual time runs `speed` times faster than real time, so a 10-minute
 * linear deployment takes seconds at `--speed 100`.
 *
 * @example new VirtualClock(60).sleep(300_000) resolves after 5 s of real time (5 virtual minutes).
 */
export class VirtualClock implements LocalClock {
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

  real(virtualMs: number): number {
    return Math.max(0, virtualMs / this.speed);
  }

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

  /**
   * Never more often than every 100 ms of real time: callers work from the time elapsed, not the count,
   * and each wake-up costs an idle server CPU (at ×30, a round every 33 ms cost about 1 % of a core in
   * wake-ups alone). At ×30 a round then covers 3 virtual seconds, finer than any alarm's period.
   */
  every(virtualMs: number, fn: () => void): () => void {
    const timer = setInterval(fn, Math.max(EVERY_MIN_REAL_MS, this.real(virtualMs)));
    timer.unref();
    return () => clearInterval(timer);
  }
}

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
}

type Goal = () => boolean | Promise<boolean>;

/**
 * The tests' clock: virtual time stands still while anything runs, and moves — straight to the next
 * sleeper's deadline — only when everything is waiting on it (the "immediate clock" of canarycage's
 * tests). So a 30-minute bake costs no real time, and no outcome depends on how fast the machine is:
 * two runs of one scenario see the same virtual times whatever the load.
 *
 * What "everything is waiting" means is told by `busy` (local mode wires in: a workflow execution that is
 * not asleep on this clock, a DynamoDB request in flight). Time moves only inside `run`, so a test can act
 * between two runs (stop, promote, fire an alarm) at a moment it chose.
 *
 * @example await clock.run(() => execution.ended)   // bakes, polls and waits all pass in no real time
 */
export class StepClock implements LocalClock {
  private current: number;
  private seq = 0;
  private readonly sleepers: Sleeper[] = [];
  private readonly goals = new Set<{ goal: Goal; settle: (error?: Error) => void }>();
  private scheduled = false;
  private stepping = false;
  /** Anything running that is not waiting on this clock; set by the wiring. */
  busy: () => boolean = () => false;

  constructor(origin = Date.parse('2026-01-01T00:00:00Z')) {
    this.current = origin;
  }

  now(): number {
    return this.current;
  }

  /** The engine's Retry intervals take no real time: the retried call runs at the same virtual time. */
  real(): number {
    return 0;
  }

  sleep(virtualMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, virtualMs),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.remove(sleeper);
        reject(signal?.reason);
        this.poke();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.poke();
    });
  }

  sleepUntil(virtualTime: number, signal?: AbortSignal): Promise<void> {
    return this.sleep(virtualTime - this.current, signal);
  }

  every(virtualMs: number, fn: () => void): () => void {
    const stop = new AbortController();
    const loop = async () => {
      while (!stop.signal.aborted) {
        await this.sleep(virtualMs, stop.signal);
        fn();
      }
    };
    loop().catch(() => undefined);
    return () => stop.abort();
  }

  /**
   * Lets time move until `goal` holds. The goal is asked whenever everything waits on the clock, before
   * the clock moves on; a promise as goal holds once it settles. Rejects when the goal does not hold and
   * nothing is left to wait for.
   */
  run(goal: Goal | Promise<unknown>): Promise<void> {
    let check: Goal;
    if (typeof goal === 'function') check = goal;
    else {
      let settled = false;
      const mark = () => {
        settled = true;
        this.poke();
      };
      goal.then(mark, mark);
      check = () => settled;
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        goal: check,
        settle: (error?: Error) => {
          this.goals.delete(entry);
          if (error) reject(error);
          else resolve();
        },
      };
      this.goals.add(entry);
      this.poke();
    });
  }

  /** Something that was busy may have stopped: look again once the event loop has drained. */
  poke(): void {
    if (this.scheduled || this.goals.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.step();
    });
  }

  private async step(): Promise<void> {
    if (this.stepping) return;
    this.stepping = true;
    try {
      // Quiet for a few turns of the event loop: a task between two awaits is not waiting on the clock.
      for (let turn = 0; turn < 3; turn++) {
        if (this.busy() || this.goals.size === 0) return;
        await new Promise((r) => setImmediate(r));
      }
      if (this.busy()) return;
      for (const entry of [...this.goals]) {
        try {
          if (await entry.goal()) entry.settle();
        } catch (e) {
          entry.settle(e instanceof Error ? e : new Error(String(e)));
        }
      }
      if (this.goals.size === 0) return;
      if (this.busy()) return;
      const next = this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) {
        for (const entry of [...this.goals])
          entry.settle(new Error('the clock has nothing left to wait for and the goal does not hold'));
        return;
      }
      this.current = Math.max(this.current, next.at);
      const due = this.sleepers.filter((s) => s.at <= this.current);
      for (const s of due) this.remove(s);
      for (const s of due) s.resolve();
    } finally {
      this.stepping = false;
      this.poke();
    }
  }

  private remove(sleeper: Sleeper): void {
    const i = this.sleepers.indexOf(sleeper);
    if (i >= 0) this.sleepers.splice(i, 1);
  }
}
