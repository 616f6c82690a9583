/**
 * The simulated account behind the example groups of stepshift.config.json: functions with a healthy
 * live version, hook functions, and alarms on the synthetic traffic.
 */
import type { HookResult } from '../functions/ports.ts';
import type { SimulatedAccount, VersionProfile } from './account.ts';

export const HEALTHY: VersionProfile = { errorRate: 0.002, latencyMs: 40 };
/** A bad revision: one request in three fails. */
export const BROKEN: VersionProfile = { errorRate: 0.35, latencyMs: 60 };

export function seedExampleAccount(
  account: SimulatedAccount,
  options: { withFunctions?: boolean } = {},
): void {
  if (options.withFunctions !== false) {
    account.createFunction('orders-api', HEALTHY, { alias: 'live', rps: 40 });
    account.createFunction('payments', HEALTHY, { alias: 'live', rps: 40 });
  }
  const polls = new Map<string, number>();
  account.registerHook('orders-api-smoke-test', (payload): HookResult => {
    // A smoke test that needs a little time: asks to be called back once, then passes.
    const n = (polls.get(payload.lifecycleEventHookExecutionId) ?? 0) + 1;
    polls.set(payload.lifecycleEventHookExecutionId, n);
    return n < 2
      ? { status: 'InProgress', callBackDelaySeconds: 20, reason: 'warming up the new version' }
      : { status: 'Succeeded', reason: `version ${payload.revision} answered 20/20 smoke requests` };
  });
  account.registerHook('orders-api-contract-test', (payload) => ({
    status: 'Succeeded',
    reason: `contract tests passed on version ${payload.revision}`,
  }));
  for (const [name, fn] of [
    ['orders-api-5xx', 'orders-api'],
    ['payments-errors', 'payments'],
  ] as const) {
    account.defineAlarm({
      name,
      target: fn,
      metric: 'ErrorRate',
      threshold: 0.02,
      periodSeconds: 30,
      evaluationPeriods: 1,
    });
  }
  account.defineAlarm({
    name: 'orders-api-p99-latency',
    target: 'orders-api',
    metric: 'LatencyAverage',
    threshold: 500,
    periodSeconds: 60,
    evaluationPeriods: 2,
  });
}
