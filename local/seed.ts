/**
 * The simulated account behind the example groups of stepshift.config.json: functions with a healthy
 * live version, hook functions, and alarms on the synthetic traffic.
 */
import type { HookResult } from '../functions/ports.ts';
import type { SimulatedAccount, VersionProfile } from './account.ts';

export const HEALTHY: VersionProfile = { errorRate: 0.002, latencyMs: 40 };
/** A bad revision: one request in three fails. */
export const BROKEN: VersionProfile = { errorRate: 0.35, latencyMs: 60 };

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
/** The example ECS group `web` (stepshift.config.json): two services behind one listener and a test listener. */
export const WEB = {
  blueTargetGroup: `${ARN}:targetgroup/web-blue/0000000000000001`,
  greenTargetGroup: `${ARN}:targetgroup/web-green/0000000000000002`,
  listener: `${ARN}:listener/app/shop/0000000000000003/0000000000000004`,
  testListener: `${ARN}:listener/app/shop/0000000000000003/0000000000000005`,
  liveImage: 'shop/web:release-1.0',
};

export function seedExampleAccount(
  account: SimulatedAccount,
  options: { withFunctions?: boolean } = {},
): void {
  if (options.withFunctions !== false) {
    account.createFunction('orders-api', HEALTHY, { alias: 'live', rps: 40 });
    account.createFunction('payments', HEALTHY, { alias: 'live', rps: 40 });
    const v1 = account.registerTaskDefinition('web', [{ name: 'web', image: WEB.liveImage }]);
    account.createService('shop', 'web-blue', v1, 3, WEB.blueTargetGroup);
    account.createService('shop', 'web-green', v1, 0, WEB.greenTargetGroup);
    account.createListener(WEB.listener, { [WEB.blueTargetGroup]: 1 }, 40);
    account.createListener(WEB.testListener, { [WEB.blueTargetGroup]: 1 }, 2);
  }
  account.defineImage(WEB.liveImage, HEALTHY);
  account.registerHook('web-test-traffic-check', (payload) => ({
    status: 'Succeeded',
    reason: `GET /health through the test listener answered 200 for ${payload.revision}`,
  }));
  // Roles swap at every deployment: the alarm watches both target groups.
  account.defineAlarm({
    name: 'web-5xx',
    target: [WEB.blueTargetGroup, WEB.greenTargetGroup],
    metric: 'ErrorRate',
    threshold: 0.02,
    periodSeconds: 30,
    evaluationPeriods: 1,
  });
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
