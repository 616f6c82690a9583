import type { BakeSignals } from '../functions/ports.ts';

interface Waiter {
  fail(error: string, cause: string): void;
  succeed(): void;
}

/**
 * The local stand-in for SendTaskFailure / SendTaskSuccess: the local bake registers under its task
 * token while it waits, and an alarm, a stop or a promote ends it through here at once. A token with
 * no waiter is ignored, as AWS answers TaskTimedOut for a task that already ended.
 */
export class LocalBakeSignals implements BakeSignals {
  private readonly waiters = new Map<string, Waiter>();

  register(token: string, waiter: Waiter): () => void {
    this.waiters.set(token, waiter);
    return () => {
      if (this.waiters.get(token) === waiter) this.waiters.delete(token);
    };
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    this.waiters.get(token)?.fail(error, cause);
  }

  async succeed(token: string): Promise<void> {
    this.waiters.get(token)?.succeed();
  }
}
