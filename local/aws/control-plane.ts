/**
 * What the simulated services share as one AWS account: the log of control-plane calls, throttling on
 * demand, and the signal that durable state changed.
 *
 * One log across services, because tests and benchmarks count calls the way AWS bills and throttles
 * them — by operation (`GetAlias`, `UpdateAlias`, `ModifyListener`, `DescribeAlarms`…), whichever service
 * answered. One change signal, because the account persists every service together.
 */
import { Transient } from '../../functions/core/errors.ts';
import type { Clock } from '../../functions/ports.ts';

/** The operations a test can make fail as throttled. */
export type ThrottledOperation = 'UpdateAlias' | 'GetAlias' | 'ModifyListener';

export interface ControlPlaneCall {
  operation: string;
  /** Virtual time of the call. */
  at: number;
  input: unknown;
}

export class ControlPlane {
  /** Calls made to the control plane, for tests and benchmarks. */
  readonly calls: ControlPlaneCall[] = [];
  /** Called after every change of durable state: local mode saves the account then. */
  onChange: (() => void) | undefined;
  private readonly faults: { operation: ThrottledOperation; remaining: number }[] = [];

  constructor(private readonly clock: Clock) {}

  record(operation: string, input: unknown): void {
    this.calls.push({ operation, at: this.clock.now(), input });
  }

  /** Makes the next `count` calls of an operation fail as throttled, as AWS does under load. */
  throttle(operation: ThrottledOperation, count = 1): void {
    this.faults.push({ operation, remaining: count });
  }

  /** Throws what AWS answers a throttled call with, while a throttle on `operation` remains. */
  fault(operation: ThrottledOperation): void {
    const fault = this.faults.find((f) => f.operation === operation && f.remaining > 0);
    if (!fault) return;
    fault.remaining -= 1;
    throw new Transient(`TooManyRequestsException: Rate exceeded (${operation})`);
  }

  changed(): void {
    this.onChange?.();
  }
}
