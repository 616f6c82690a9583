import { afterEach, describe, expect, it } from 'vitest';
import {
  getDeployment,
  resumeDeployment,
  rollbackDeployment,
  startDeployment,
  stopDeployment,
} from '../../functions/api/operations.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import type { HookFunction } from '../../local/account.ts';
import { StepClock } from '../../local/clock.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { untilStored } from './harness.ts';

const TG = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${name}/1`;
const BLUE = TG('web-blue');
const GREEN = TG('web-green');
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/shop/1/2';
const TEST_LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/shop/1/3';
const GOOD = 'shop/web:2.0';
const BROKEN = 'shop/web:2.1-errors';
const NEVER_STARTS = 'shop/web:2.2-missing-secret';

let local: LocalStepShift | undefined;
let clock = new StepClock();
afterEach(async () => {
  await local?.close();
  local = undefined;
});

async function ecs(
  deploymentConfig: unknown,
  options: {
    hooks?: Record<string, unknown>;
    hookFns?: Record<string, HookFunction>;
    steadyTimeoutMinutes?: number;
  } = {},
) {
  const groups = parseGroupConfig({
    groups: {
      web: {
        kind: 'ecs',
        target: {
          cluster: 'shop',
          blueService: 'web-blue',
          greenService: 'web-green',
          blueTargetGroup: BLUE,
          greenTargetGroup: GREEN,
          listener: LISTENER,
          testListener: TEST_LISTENER,
          container: 'web',
          taskRoles: [],
          terminationWaitMinutes: 5,
          steadyTimeoutMinutes: options.steadyTimeoutMinutes ?? 10,
        },
        deploymentConfig,
        alarms: ['web-5xx'],
        ...(options.hooks ? { hooks: options.hooks } : {}),
      },
    },
  });
  clock = new StepClock();
  local = await startLocal({
    groups,
    clock,
    traffic: false,
    seed: (a) => {
      a.defineImage('shop/web:1.0', { errorRate: 0.001, latencyMs: 30 });
      a.defineImage(GOOD, { errorRate: 0.001, latencyMs: 30 });
      a.defineImage(BROKEN, { errorRate: 0.4, latencyMs: 30 });
      a.defineImage(NEVER_STARTS, { errorRate: 0, latencyMs: 30, failsToStart: true });
      const v1 = a.registerTaskDefinition('web', [{ name: 'web', image: 'shop/web:1.0' }]);
      a.createService('shop', 'web-blue', v1, 4, BLUE);
      a.createService('shop', 'web-green', v1, 0, GREEN);
      a.createListener(LISTENER, { [BLUE]: 1 });
      a.createListener(TEST_LISTENER, { [BLUE]: 1 });
      a.defineAlarm({
        name: 'web-5xx',
        target: GREEN,
        metric: 'ErrorRate',
        threshold: 0.05,
        periodSeconds: 60,
        evaluationPeriods: 1,
      });
      for (const [name, fn] of Object.entries(options.hookFns ?? {})) a.registerHook(name, fn);
    },
  });
  return local;
}

async function run(l: LocalStepShift, revision: string): Promise<Deployment> {
  return (await startDeployment(l.ctx, { group: 'web', revision })).deployment;
}

async function finished(l: LocalStepShift, d: Deployment) {
  await clock.run(l.workflow.execution(d.executionName)?.done ?? Promise.resolve());
  const { deployment, timeline } = await getDeployment(l.ctx, d.id);
  return { deployment, timeline, messages: timeline.map((e) => `${e.kind}: ${e.message}`) };
}

function until(l: LocalStepShift, d: Deployment, predicate: (x: Deployment) => boolean) {
  return untilStored(clock, l.ctx, d, predicate, 'the awaited state');
}

const prodModifications = (l: LocalStepShift) =>
  l.account.calls.filter(
    (c) => c.operation === 'ModifyListener' && (c.input as { arn: string }).arn === LISTENER,
  );

describe('an ECS deployment that succeeds', () => {
  it.each([
    ['canary', 'CodeDeployDefault.ECSCanary10Percent5Minutes', [10, 100]],
    [
      'linear',
      'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
      [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    ],
    ['all at once', 'CodeDeployDefault.ECSAllAtOnce', [100]],
  ])(
    'installs on the idle service, shifts by %s, and scales the old service to zero after the termination wait',
    async (_what, config, percents) => {
      const l = await ecs(config);
      const { deployment, timeline, messages } = await finished(l, await run(l, GOOD));

      expect(deployment.status).toBe('SUCCEEDED');
      expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 1 });
      expect(l.account.listenerWeights(TEST_LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 1 });
      expect(l.account.service('shop', 'web-green')).toMatchObject({
        desiredCount: 4,
        runningCount: 4,
        taskDefinition: expect.stringMatching(/task-definition\/web:2$/),
      });
      expect(l.account.service('shop', 'web-blue').desiredCount).toBe(0);
      expect(deployment.ecs).toMatchObject({
        activeService: 'web-blue',
        idleService: 'web-green',
        image: GOOD,
        desiredCount: 4,
      });
      expect(timeline.filter((e) => e.kind === 'shift').map((e) => e.details?.percent)).toEqual(percents);
      const at = (m: string) => Date.parse(timeline.find((e) => e.message.startsWith(m))?.at ?? '');
      expect(messages).toEqual(
        expect.arrayContaining([
          'info: web-blue is live; web-green receives the revision',
          expect.stringMatching(/^info: registered .*web:2 with image shop\/web:2.0$/),
          'info: web-green is steady with 4 tasks',
          'info: test listener → web-green',
          'info: web-blue scaled to 0 after the termination wait',
        ]),
      );
      expect(at('web-blue scaled to 0') - at('all traffic on web-green')).toBeGreaterThanOrEqual(5 * 60_000);
      const weights = prodModifications(l).map(
        (c) => (c.input as { weights: Record<string, number> }).weights,
      );
      for (const w of weights)
        for (const v of Object.values(w)) expect(Number.isInteger(v) && v >= 0 && v <= 999).toBe(true);
    },
  );

  it('swaps roles at the next deployment: green is live, blue receives the revision', async () => {
    const l = await ecs('ECSAllAtOnce');
    await finished(l, await run(l, GOOD));
    const { deployment } = await finished(l, await run(l, 'shop/web:1.0'));
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.ecs).toMatchObject({ activeService: 'web-green', idleService: 'web-blue' });
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [GREEN]: 0, [BLUE]: 1 });
    expect(l.account.service('shop', 'web-green').desiredCount).toBe(0);
  });
});

describe('an ECS deployment that fails', () => {
  it('never moves production traffic when an AfterAllowTestTraffic hook fails, and scales the new service to zero', async () => {
    const l = await ecs('ECSCanary10Percent5Minutes', {
      hooks: { AfterAllowTestTraffic: ['web-test-traffic-check'] },
      hookFns: {
        'web-test-traffic-check': () => ({
          status: 'Failed',
          reason: 'GET /health on the test listener: 503',
        }),
      },
    });
    const { deployment, messages } = await finished(l, await run(l, GOOD));
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(prodModifications(l)).toEqual([]);
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 1 });
    expect(l.account.listenerWeights(TEST_LISTENER)).toEqual({ [BLUE]: 1 });
    expect(l.account.service('shop', 'web-green').desiredCount).toBe(0);
    expect(l.account.service('shop', 'web-blue').desiredCount).toBe(4);
    expect(messages).toContain(
      'hook: AfterAllowTestTraffic: web-test-traffic-check failed: GET /health on the test listener: 503',
    );
    expect(messages).toContain('info: web-green scaled back to 0 tasks');
  });

  it('rolls back weights and scales the new service down when an alarm fires mid-bake', async () => {
    const l = await ecs('ECSCanary10Percent15Minutes');
    const d = await run(l, BROKEN);
    await until(l, d, (x) => x.bakeToken !== undefined);
    l.account.setAlarmState('web-5xx', 'ALARM');
    const { deployment, messages } = await finished(l, d);
    expect(deployment).toMatchObject({
      status: 'ROLLED_BACK',
      reason: expect.stringMatching(/web-5xx (entered|in) ALARM/),
    });
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 1 });
    expect(l.account.service('shop', 'web-green').desiredCount).toBe(0);
    expect(l.account.service('shop', 'web-blue').desiredCount).toBe(4);
    expect(messages).toContain('shift: 10 % on web-green');
    expect(messages).not.toContain('shift: 100 % on web-green');
  });

  it('fails clearly, with nothing shifted, when the revision’s tasks never start', async () => {
    const l = await ecs('ECSCanary10Percent5Minutes');
    const { deployment } = await finished(l, await run(l, NEVER_STARTS));
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toMatch(
      /^web-green: 4 tasks failed to start \(tasks failed to start: CannotPullContainerError/,
    );
    expect(prodModifications(l)).toEqual([]);
    expect(l.account.service('shop', 'web-green').desiredCount).toBe(0);
  });

  it('fails clearly when the new service does not become steady in time', async () => {
    const l = await ecs('ECSAllAtOnce', { steadyTimeoutMinutes: 1 });
    l.account.steadySeconds = 600;
    const { deployment } = await finished(l, await run(l, GOOD));
    expect(deployment.reason).toBe('web-green did not become steady within 1 minutes (0/4 running)');
    expect(prodModifications(l)).toEqual([]);
  });

  it('ends FAILED on drift and leaves the weights as found: weights changed by hand between two steps', async () => {
    const l = await ecs('ECSLinear10PercentEvery3Minutes');
    const d = await run(l, GOOD);
    await until(l, d, (x) => x.bakeToken !== undefined && x.percent === 10);
    l.account.setListenerWeights(LISTENER, { [BLUE]: 500, [GREEN]: 500 });
    const { deployment, messages } = await finished(l, d);
    expect(deployment.status).toBe('FAILED');
    expect(deployment.reason).toMatch(
      /^the routing changed outside stepshift: expected 90 % on web-blue, 10 % on web-green, found 50 % on web-blue, 50 % on web-green/,
    );
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 500, [GREEN]: 500 });
    expect(messages).toContain(
      'info: routing left as found: 50 % on web-blue, 50 % on web-green — it changed outside stepshift, and restoring the recorded routing would overwrite that change',
    );
    expect(messages.some((m) => m.startsWith('shift: routing restored'))).toBe(false);
    expect(await l.ctx.store.lockHolder('web')).toBeUndefined();
  });

  it('rolls back when an alarm fires during the termination wait, with the old service still running', async () => {
    const l = await ecs('ECSAllAtOnce');
    const d = await run(l, GOOD);
    await until(l, d, (x) => x.percent === 100 && x.bakeToken !== undefined);
    l.account.setAlarmState('web-5xx', 'ALARM');
    const { deployment, messages } = await finished(l, d);
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toBe('alarm web-5xx entered ALARM');
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 1 });
    expect(l.account.service('shop', 'web-blue').desiredCount).toBe(4);
    expect(l.account.service('shop', 'web-green').desiredCount).toBe(0);
    expect(messages).toContain('bake: termination wait: the old service keeps its tasks 300 s');
    expect(messages).not.toContain('info: web-blue scaled to 0 after the termination wait');
  });

  it('restores everything when stopped with rollback', async () => {
    const l = await ecs('ECSLinear10PercentEvery3Minutes');
    const d = await run(l, GOOD);
    await until(l, d, (x) => x.bakeToken !== undefined && x.percent === 10);
    await stopDeployment(l.ctx, d.id, { rollback: true });
    const { deployment } = await finished(l, d);
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 1 });
    expect(l.account.listenerWeights(TEST_LISTENER)).toEqual({ [BLUE]: 1 });
    expect(l.account.service('shop', 'web-green').desiredCount).toBe(0);
  });

  it('refuses to start unless the listener forwards 100 % to one of the group’s two target groups', async () => {
    const l = await ecs('ECSAllAtOnce');
    l.account.setListenerWeights(LISTENER, { [BLUE]: 700, [GREEN]: 300 });
    await expect(run(l, GOOD)).rejects.toThrow('the listener is split (70 % on web-blue, 30 % on web-green)');
    l.account.setListenerWeights(LISTENER, { [TG('legacy')]: 1 });
    await expect(run(l, GOOD)).rejects.toThrow(
      /forwards all traffic to .*legacy.*, which is neither blueTargetGroup nor greenTargetGroup of group web/,
    );
    expect(await l.ctx.store.list()).toEqual([]);
  });

  it('leaves the split recorded when stopped without rollback, and the rollback endpoint puts everything back', async () => {
    const l = await ecs('ECSLinear10PercentEvery3Minutes');
    const d = await run(l, GOOD);
    await until(l, d, (x) => x.bakeToken !== undefined && x.percent === 10);
    await stopDeployment(l.ctx, d.id, { rollback: false });
    const stopped = await finished(l, d);
    expect(stopped.deployment.status).toBe('STOPPED');
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 900, [GREEN]: 100 });
    await expect(run(l, 'shop/web:1.0')).rejects.toThrow(
      `deployment ${d.id} was stopped at 10 % and left it so`,
    );
    const { deployment } = await rollbackDeployment(l.ctx, d.id);
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 1 });
    expect(l.account.service('shop', 'web-green').desiredCount).toBe(0);
  });

  it('resumes a deployment stopped without rollback: no second install, the rest of the steps, the old service retired', async () => {
    const l = await ecs('ECSLinear10PercentEvery3Minutes');
    const d = await run(l, GOOD);
    await until(l, d, (x) => x.bakeToken !== undefined && x.percent === 20);
    await stopDeployment(l.ctx, d.id, { rollback: false });
    expect((await finished(l, d)).deployment.status).toBe('STOPPED');
    const updatesBefore = l.account.calls.filter((c) => c.operation === 'UpdateService').length;

    const resumed = (await resumeDeployment(l.ctx, d.id)).deployment;
    const { deployment, messages } = await finished(l, resumed);
    expect(deployment.status).toBe('SUCCEEDED');
    expect(l.account.listenerWeights(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 1 });
    expect(l.account.service('shop', 'web-blue').desiredCount).toBe(0);
    // Only the retirement of the old service: the new one was installed before the stop.
    expect(l.account.calls.filter((c) => c.operation === 'UpdateService').length - updatesBefore).toBe(1);
    expect(messages).toContain('info: resumed from step 2 of 10 (20 %)');
  });

  it('refuses to deploy the task definition that is already live', async () => {
    const l = await ecs('ECSAllAtOnce');
    await expect(run(l, 'web:1')).rejects.toThrow(
      'task definition web:1 is already live on web-blue: nothing to deploy',
    );
  });
});
