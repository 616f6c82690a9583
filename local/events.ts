import type { ApprovalPending, EventPublisher, ReleaseChange, StateChange } from '../functions/ports.ts';

/**
 * Local mode's event bus for stepshift's own notifications: keeps every state change and every pending
 * approval (the API and tests read them) and hands each to its listeners (the demo prints them).
 */
export class LocalEventBus implements EventPublisher {
  readonly changes: StateChange[] = [];
  readonly approvals: ApprovalPending[] = [];
  readonly releases: ReleaseChange[] = [];
  private readonly releaseListeners = new Set<(change: ReleaseChange) => void>();
  private readonly listeners = new Set<(change: StateChange) => void>();
  private readonly approvalListeners = new Set<(pending: ApprovalPending) => void>();

  async stateChanged(change: StateChange): Promise<void> {
    this.changes.push(change);
    for (const listener of this.listeners) listener(change);
  }

  async approvalPending(pending: ApprovalPending): Promise<void> {
    this.approvals.push(pending);
    for (const listener of this.approvalListeners) listener(pending);
  }

  async releaseChanged(change: ReleaseChange): Promise<void> {
    this.releases.push(change);
    for (const listener of this.releaseListeners) listener(change);
  }

  subscribeReleases(listener: (change: ReleaseChange) => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  subscribe(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeApprovals(listener: (pending: ApprovalPending) => void): () => void {
    this.approvalListeners.add(listener);
    return () => this.approvalListeners.delete(listener);
  }
}
