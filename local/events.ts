import type { EventPublisher, StateChange } from '../functions/ports.ts';

/**
 * Local mode's event bus for stepshift's own notifications: keeps every state change (the API and
 * tests read them) and hands each to the listeners (the demo prints them).
 */
export class LocalEventBus implements EventPublisher {
  readonly changes: StateChange[] = [];
  private readonly listeners = new Set<(change: StateChange) => void>();

  async stateChanged(change: StateChange): Promise<void> {
    this.changes.push(change);
    for (const listener of this.listeners) listener(change);
  }

  subscribe(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
