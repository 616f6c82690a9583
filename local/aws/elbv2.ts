/**
 * Simulated ELBv2: listeners (and listener rules) whose forward action splits requests between target
 * groups by weight.
 *
 * It keeps the ALB's rules for a forward action — integer weights 0–999, at most 5 target groups, at
 * least one weight above 0 — and answers a broken rule with a ValidationError, as AWS does. It is the ECS
 * groups' `LoadBalancer`.
 */
import { type AlbRouting, albRuleBroken } from '../../functions/core/alb.ts';
import { StepShiftError } from '../../functions/core/errors.ts';
import type { ForwardLocation, LoadBalancer } from '../../functions/ports.ts';
import type { ControlPlane } from './control-plane.ts';

/** A listener (or rule) as the account persists it. */
export interface Listener {
  /** Target group ARN → weight. */
  weights: Record<string, number>;
  /** Synthetic requests per virtual second through the listener. */
  rps: number;
}

const DEFAULT_LISTENER_RPS = 40;

export class SimulatedElb implements LoadBalancer {
  /** `listeners` (by listener or rule ARN) is the durable state, owned and persisted by the account. */
  constructor(
    private readonly control: ControlPlane,
    private readonly listeners = new Map<string, Listener>(),
  ) {}

  createListener(arn: string, weights: Record<string, number>, rps = DEFAULT_LISTENER_RPS): void {
    this.listeners.set(arn, { weights: { ...weights }, rps });
    this.control.changed();
  }

  hasListener(arn: string): boolean {
    return this.listeners.has(arn);
  }

  /** Sets the synthetic requests per virtual second through a listener. */
  setListenerRps(arn: string, rps: number): void {
    const listener = this.listeners.get(arn);
    if (!listener) throw new StepShiftError(`ListenerNotFoundException: ${arn}`);
    listener.rps = rps;
    this.control.changed();
  }

  /** Changes a listener behind stepshift's back (drift). */
  setListenerWeights(arn: string, weights: Record<string, number>): void {
    const rps = this.listeners.get(arn)?.rps ?? DEFAULT_LISTENER_RPS;
    this.listeners.set(arn, { weights: { ...weights }, rps });
    this.control.changed();
  }

  listenerWeights(arn: string): Record<string, number> {
    return { ...(this.listeners.get(arn)?.weights ?? {}) };
  }

  /** Every listener, in creation order: what synthetic traffic goes through. */
  routes(): ({ arn: string } & Readonly<Listener>)[] {
    return [...this.listeners].map(([arn, l]) => ({ arn, ...l }));
  }

  // ── the port ──

  async current(where: ForwardLocation): Promise<AlbRouting> {
    const arn = arnOf(where);
    this.control.record('DescribeListeners', { arn });
    const listener = this.listeners.get(arn);
    if (!listener) throw new StepShiftError(`ListenerNotFoundException: ${arn}`);
    return { kind: 'ecs', weights: { ...listener.weights } };
  }

  async set(where: ForwardLocation, routing: AlbRouting): Promise<AlbRouting> {
    const arn = arnOf(where);
    this.control.record('ModifyListener', { arn, weights: routing.weights });
    this.control.fault('ModifyListener');
    const broken = albRuleBroken(routing);
    if (broken) throw new StepShiftError(`ValidationError: ${broken}`);
    const listener = this.listeners.get(arn);
    if (!listener) throw new StepShiftError(`ListenerNotFoundException: ${arn}`);
    listener.weights = { ...routing.weights };
    this.control.changed();
    return { kind: 'ecs', weights: { ...routing.weights } };
  }
}

/** Listeners and rules share one namespace of ARNs here, as the weights of either are set the same way. */
function arnOf(where: ForwardLocation): string {
  return 'listener' in where ? where.listener : where.rule;
}
