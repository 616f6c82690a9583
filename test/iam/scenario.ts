/**
 * The deployments the IAM contract records: the real handlers (`functions/handlers/`) over the real AWS
 * adapters, with mocked SDK clients answering as a small account would (./fake-account.ts), each run
 * labelled with the stepshift function that runs that handler on AWS (infra/workflow.ts, infra/api.ts,
 * infra/intake.ts, infra/alarm-path.ts) — an API request with the API function that serves its route. The state machine is not run: each story calls the handlers in
 * the order the workflow would, so each function's calls are known exactly.
 *
 * Every function runs for a Lambda group and for an ECS group (the ECS-only tasks for ECS groups), by
 * each path that reaches AWS: success, rollback by alarm, stop without rollback then
 * `POST /deployments/{id}/rollback`, and the watchdog's rollback of an aborted execution. Then releases
 * (R1–R8): the release function's tasks in the order statemachines/release.asl.json runs them, its
 * members' tasks between, and every member change that ends a release's wait.
 */

import { serves } from '../../functions/api/http.ts';
import { route } from '../../functions/api/routes.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { makeAlarmHandler } from '../../functions/handlers/alarm-intake.ts';
import { ROUTES as API_ROUTES } from '../../functions/handlers/api.ts';
import { makeApiHandler } from '../../functions/handlers/api-gateway.ts';
import { ROUTES as API_RELEASES_ROUTES } from '../../functions/handlers/api-releases.ts';
import { ROUTES as API_START_ROUTES } from '../../functions/handlers/api-start.ts';
import { makeExecutionEndedHandler } from '../../functions/handlers/execution-ended.ts';
import { makeIntakeHandler } from '../../functions/handlers/intake.ts';
import { makeReleaseHandler } from '../../functions/handlers/releases.ts';
import { makeTaskHandlers } from '../../functions/handlers/tasks.ts';
import type { ApiFnName, TaskName } from '../../infra/functions.ts';
import { awsContext } from '../handlers/aws-context.ts';
import { alarmStateChange, deploymentRequested, ecrImagePush, s3ObjectCreated } from '../handlers/samples.ts';
import { ACCOUNT, ARNS, COMPOSITE_ALARMS, contractConfig, METRIC_ALARMS, REGION } from './config.ts';
import { type FakeAccount, fakeAccount } from './fake-account.ts';
import { CallRecorder, type RunKind } from './recorder.ts';

type TaskHandlers = ReturnType<typeof makeTaskHandlers>;

/**
 * The handler export each task function runs (`index.<key>Handler`, from its own handler file), by the
 * key of its factory in `makeTaskHandlers` (functions/handlers/tasks.ts). Checked against the synthesized
 * functions' `Handler` by the contract test.
 */
export const TASK_HANDLERS = {
  Prepare: 'prepare',
  RunHooks: 'runHooks',
  ShiftTraffic: 'shiftTraffic',
  Bake: 'bake',
  AwaitApproval: 'awaitApproval',
  Finalize: 'finalize',
  RollBack: 'rollback',
  Install: 'install',
  CheckSteady: 'checkSteady',
  TestTraffic: 'testTraffic',
  ScaleDownOld: 'scaleDownOld',
} as const satisfies Record<TaskName, keyof TaskHandlers>;

/** The handler export of the other functions, `<handler file>.<export>`. */
export const OTHER_HANDLERS = {
  Api: 'api.handler',
  ApiStart: 'api-start.handler',
  ApiReleases: 'api-releases.handler',
  Intake: 'intake.intakeHandler',
  AlarmIntake: 'alarm-intake.alarmHandler',
  ExecutionEnded: 'execution-ended.executionEndedHandler',
  Release: 'releases.releaseHandler',
  Analyze: 'analyze.analyzeBakesHandler',
} as const;

/** The route tables each API function serves (its handler file's `ROUTES`). */
const API_FUNCTIONS: Record<ApiFnName, typeof API_ROUTES> = {
  Api: API_ROUTES,
  ApiStart: API_START_ROUTES,
  ApiReleases: API_RELEASES_ROUTES,
};

/** The API function that serves `method path` on AWS: the one whose route tables have it. */
export function apiFunctionOf(method: string, path: string): ApiFnName {
  const fn = (Object.keys(API_FUNCTIONS) as ApiFnName[]).find((each) =>
    serves(API_FUNCTIONS[each], method, path),
  );
  if (!fn) throw new Error(`no API function serves ${method} ${path}`);
  return fn;
}

export interface Scenario {
  recorder: CallRecorder;
  account: FakeAccount;
  /** The deployments' ends, by story. */
  outcomes: Record<string, string | undefined>;
  close(): Promise<void>;
}

export async function runScenario(): Promise<Scenario> {
  const env = await awsContext(parseGroupConfig(contractConfig));
  const recorder = new CallRecorder();
  recorder.watchDynamo(env.dynamo.client);
  const account = fakeAccount({
    aliases: { 'orders:live': { versions: ['1', '2', '3', '4', '5'], live: '4' } },
    forwards: {
      [ARNS.webListener]: ARNS.webBlue,
      [ARNS.webTestListener]: ARNS.webBlue,
      [ARNS.checkoutRule]: ARNS.checkoutBlue,
    },
    services: {
      'shop/web-blue': { taskDefinition: ARNS.taskDefinition('web', 7), desiredCount: 2 },
      'shop/web-green': { taskDefinition: ARNS.taskDefinition('web', 6), desiredCount: 0 },
      'payments/checkout-blue': { taskDefinition: ARNS.taskDefinition('checkout', 2), desiredCount: 3 },
      'payments/checkout-green': { taskDefinition: ARNS.taskDefinition('checkout', 1), desiredCount: 0 },
    },
    taskDefinitions: {
      [ARNS.taskDefinition('web', 7)]: {
        container: 'web',
        taskRoleArn: ARNS.webTaskRole,
        executionRoleArn: ARNS.webExecutionRole,
      },
    },
    metricAlarms: METRIC_ALARMS,
    compositeAlarms: COMPOSITE_ALARMS,
  });

  const tasks = makeTaskHandlers(() => env.ctx);
  const api = makeApiHandler(() => env.ctx, route);
  const intake = makeIntakeHandler(() => env);
  const alarm = makeAlarmHandler(() => env.ctx);
  const ended = makeExecutionEndedHandler(() => env.ctx);
  const outcomes: Record<string, string | undefined> = {};

  const task = (fn: TaskName, kind: RunKind, input: Record<string, unknown>) =>
    recorder.as(fn, kind, () => (tasks[TASK_HANDLERS[fn]] as (event: unknown) => Promise<unknown>)(input));
  /** An API request that must answer `status`; returns the body. */
  const request = async (kind: RunKind, method: string, path: string, status: number, body?: unknown) => {
    const [route = path, query] = path.split('?');
    const res = await recorder.as(apiFunctionOf(method, route), kind, () =>
      api({
        httpMethod: method,
        path: route,
        queryStringParameters: Object.fromEntries(new URLSearchParams(query ?? '')),
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      }),
    );
    if (res.statusCode !== status) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`);
    return JSON.parse(res.body) as { id: string; deployment?: { status: string } };
  };
  const started = async (kind: RunKind, event: unknown): Promise<string> => {
    const out = await recorder.as('Intake', kind, () => intake(event));
    if (out.outcome !== 'started') throw new Error(`intake: ${JSON.stringify(out)}`);
    return out.deploymentId;
  };
  const status = async (id: string) => (await env.ctx.store.get(id))?.status;
  const shiftAndBake = async (kind: RunKind, id: string, stepIndex: number, taskToken: string) => {
    await task('ShiftTraffic', kind, { deploymentId: id, stepIndex });
    await task('Bake', kind, { deploymentId: id, stepIndex, bakeSeconds: 300, taskToken });
  };
  const install = async (kind: RunKind, id: string) => {
    await task('RunHooks', kind, { deploymentId: id, lifecycleEvent: 'BeforeInstall' });
    await task('Install', kind, { deploymentId: id });
    await task('CheckSteady', kind, { deploymentId: id });
    await task('RunHooks', kind, { deploymentId: id, lifecycleEvent: 'AfterInstall' });
    await task('TestTraffic', kind, { deploymentId: id });
    await task('RunHooks', kind, { deploymentId: id, lifecycleEvent: 'AfterAllowTestTraffic' });
  };
  /** Stopped without rollback mid-bake, then rolled back by `POST /deployments/{id}/rollback`. */
  const stopThenRollBackFromApi = async (kind: RunKind, id: string, story: string) => {
    await request(kind, 'POST', `/deployments/${id}/stop`, 202, { rollback: false });
    await task('RollBack', kind, {
      deploymentId: id,
      error: { Error: 'StopRequested', Cause: 'stop requested (without rollback)' },
    });
    outcomes[`${story}Stopped`] = await status(id);
    await request(kind, 'POST', `/deployments/${id}/rollback`, 200);
    outcomes[`${story}RolledBackFromApi`] = await status(id);
  };
  const aborted = (id: string) => ({
    version: '0',
    id: `watchdog-${id}`,
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    region: REGION,
    resources: [],
    detail: { status: 'ABORTED', name: id, input: JSON.stringify({ deploymentId: id }) },
  });
  const alarmEntered = (alarmName: string) => ({
    ...structuredClone(alarmStateChange),
    detail: { ...structuredClone(alarmStateChange.detail), alarmName },
  });

  // A: Lambda, from the per-group route, hooks and promote, to SUCCEEDED.
  const a = (await request('lambda', 'POST', '/groups/orders/deployments', 201, { revision: '5' })).id;
  await task('Prepare', 'lambda', { deploymentId: a });
  await task('RunHooks', 'lambda', { deploymentId: a, lifecycleEvent: 'BeforeAllowTraffic' });
  await shiftAndBake('lambda', a, 0, 'token-a');
  await request('lambda', 'POST', `/deployments/${a}/promote`, 202);
  await task('ShiftTraffic', 'lambda', { deploymentId: a, stepIndex: 1 });
  await task('RunHooks', 'lambda', { deploymentId: a, lifecycleEvent: 'AfterAllowTraffic' });
  await task('Finalize', 'lambda', { deploymentId: a });
  outcomes.lambdaSucceeded = await status(a);
  await request('lambda', 'GET', `/deployments/${a}`, 200);
  await request('lambda', 'GET', `/deployments/${a}/execution`, 200);
  await request('lambda', 'GET', '/deployments?group=orders', 200);
  await request('none', 'GET', '/groups', 200);

  // A2: Lambda with canary analysis, not promoted: a run during the bake (the ticker, its interval passed),
  // at the bake's end (ShiftTraffic) and at 100 % (AfterAllowTraffic), to SUCCEEDED.
  const a2 = (await request('lambda', 'POST', '/groups/orders/deployments', 201, { revision: '3' })).id;
  await task('Prepare', 'lambda', { deploymentId: a2 });
  await task('RunHooks', 'lambda', { deploymentId: a2, lifecycleEvent: 'BeforeAllowTraffic' });
  await shiftAndBake('lambda', a2, 0, 'token-a2');
  const clock = env.ctx.clock;
  env.ctx.clock = { now: () => Date.now() + 120_000 };
  await recorder.as('Analyze', 'lambda', () => tasks.analyzeBakes());
  env.ctx.clock = clock;
  await task('ShiftTraffic', 'lambda', { deploymentId: a2, stepIndex: 1 });
  await task('RunHooks', 'lambda', { deploymentId: a2, lifecycleEvent: 'AfterAllowTraffic' });
  await task('Finalize', 'lambda', { deploymentId: a2 });
  outcomes.lambdaAnalyzedSucceeded = await status(a2);

  // A3: Lambda with canary analysis whose p99 fails during the bake: the ticker ends the bake
  // (SendTaskFailure, AnalysisFailed), and RollBack restores the alias.
  const a3 = (await request('lambda', 'POST', '/groups/orders/deployments', 201, { revision: '4' })).id;
  await task('Prepare', 'lambda', { deploymentId: a3 });
  await shiftAndBake('lambda', a3, 0, 'token-a3');
  account.setMetricValue(400);
  env.ctx.clock = { now: () => Date.now() + 120_000 };
  await recorder.as('Analyze', 'lambda', () => tasks.analyzeBakes());
  env.ctx.clock = clock;
  account.setMetricValue(100);
  await task('RollBack', 'lambda', {
    deploymentId: a3,
    error: { Error: 'AnalysisFailed', Cause: 'analysis p99 failed at 10 %' },
  });
  outcomes.lambdaRolledBackByAnalysis = await status(a3);

  // B: Lambda, an S3 artifact through Intake, rolled back by its alarm; and an event Intake drops.
  const b = await started('lambda', {
    ...s3ObjectCreated,
    id: 'a3c1ad3e-6f3a-4c1e-9b0e-6b7c3f1d2e01',
    account: ACCOUNT,
    region: REGION,
    detail: {
      ...s3ObjectCreated.detail,
      bucket: { name: 'artifacts' },
      object: { ...s3ObjectCreated.detail.object, key: 'orders/build-6.zip' },
    },
  });
  await recorder.as('Intake', 'none', () => intake({ hello: 'world' }));
  await task('Prepare', 'lambda', { deploymentId: b });
  await shiftAndBake('lambda', b, 0, 'token-b');
  account.setAlarm('orders-errors', 'ALARM');
  await recorder.as('AlarmIntake', 'lambda', () => alarm(alarmEntered('orders-errors')));
  await task('RollBack', 'lambda', {
    deploymentId: b,
    error: { Error: 'AlarmFired', Cause: 'alarm orders-errors entered ALARM' },
  });
  account.setAlarm('orders-errors', 'OK');
  outcomes.lambdaRolledBackByAlarm = await status(b);

  // C: Lambda, stopped without rollback, then rolled back from the API.
  const c = (await request('lambda', 'POST', '/deployments', 201, { group: 'orders', revision: '4' })).id;
  await task('Prepare', 'lambda', { deploymentId: c });
  await shiftAndBake('lambda', c, 0, 'token-c');
  await stopThenRollBackFromApi('lambda', c, 'lambda');

  // D: Lambda, an execution aborted mid-shift, rolled back by the watchdog.
  const d = (await request('lambda', 'POST', '/groups/orders/deployments', 201, { revision: '4' })).id;
  await task('Prepare', 'lambda', { deploymentId: d });
  await task('ShiftTraffic', 'lambda', { deploymentId: d, stepIndex: 0 });
  await recorder.as('ExecutionEnded', 'lambda', () => ended(aborted(d)));
  outcomes.lambdaRolledBackByWatchdog = await status(d);

  // D2: Lambda, two deployments queued behind a running one (onBusy: queue); one is cancelled; the
  // running one's execution is aborted, and the watchdog rolls it back and starts the next queued one.
  const running = (await request('lambda', 'POST', '/groups/orders/deployments', 201, { revision: '5' })).id;
  await task('Prepare', 'lambda', { deploymentId: running });
  const body = { revision: '5', onBusy: 'queue' };
  const next = (await request('lambda', 'POST', '/groups/orders/deployments', 201, body)).id;
  const dropped = (await request('lambda', 'POST', '/groups/orders/deployments', 201, body)).id;
  await request('lambda', 'POST', `/deployments/${dropped}/cancel`, 200, { reason: 'not this one' });
  outcomes.lambdaQueuedCancelled = await status(dropped);
  await recorder.as('ExecutionEnded', 'lambda', () => ended(aborted(running)));
  outcomes.lambdaQueuedStartedByWatchdog = await status(next);
  await task('Prepare', 'lambda', { deploymentId: next });
  await recorder.as('ExecutionEnded', 'lambda', () => ended(aborted(next)));
  outcomes.lambdaQueuedRolledBackByWatchdog = await status(next);
  // D2: Lambda, a pause before the first shift (AwaitApproval stores its token, says so on the bus),
  // rejected from the API (SendTaskFailure), rolled back.
  const d2 = (
    await request('lambda', 'POST', '/groups/orders/deployments', 201, {
      revision: '5',
      config: {
        type: 'steps',
        steps: [{ pause: { timeoutSeconds: 600 } }, { percent: 100, bakeSeconds: 0 }],
      },
    })
  ).id;
  await task('Prepare', 'lambda', { deploymentId: d2 });
  await task('ShiftTraffic', 'lambda', { deploymentId: d2, stepIndex: 0 });
  await task('AwaitApproval', 'lambda', {
    deploymentId: d2,
    stepIndex: 0,
    timeoutSeconds: 600,
    taskToken: 'token-d2',
  });
  await request('lambda', 'POST', `/deployments/${d2}/reject`, 202, { reason: 'not this week' });
  await task('RollBack', 'lambda', {
    deploymentId: d2,
    error: { Error: 'ApprovalRejected', Cause: 'approval rejected: not this week' },
  });
  outcomes.lambdaRejected = await status(d2);
  // D3: Lambda, a start that supersedes the deployment baking (onBusy: supersede): the start fails the
  // bake (SendTaskFailure, StopRequested), the running one rolls back, and its end starts the other.
  const d3 = (await request('lambda', 'POST', '/groups/orders/deployments', 201, { revision: '5' })).id;
  await task('Prepare', 'lambda', { deploymentId: d3 });
  await shiftAndBake('lambda', d3, 0, 'token-d3');
  const superseding = (
    await request('lambda', 'POST', '/groups/orders/deployments', 201, { revision: '2', onBusy: 'supersede' })
  ).id;
  await task('RollBack', 'lambda', {
    deploymentId: d3,
    error: { Error: 'StopRequested', Cause: 'stop requested (with rollback): superseded' },
  });
  outcomes.lambdaSuperseded = await status(d3);
  await recorder.as('ExecutionEnded', 'lambda', () => ended(aborted(d3)));
  await task('Prepare', 'lambda', { deploymentId: superseding });
  await recorder.as('ExecutionEnded', 'lambda', () => ended(aborted(superseding)));
  outcomes.lambdaSupersedingRolledBackByWatchdog = await status(superseding);

  // E: ECS behind a listener, an image pushed to ECR through Intake, to SUCCEEDED.
  const e = await started('ecs', {
    ...ecrImagePush,
    id: '5b0f1c8e-2d4a-4e6b-8c1d-3f5a7b9c0d12',
    account: ACCOUNT,
    region: REGION,
    detail: { ...ecrImagePush.detail, 'repository-name': 'shop/web', 'image-tag': 'v2' },
  });
  await task('Prepare', 'ecs', { deploymentId: e });
  await install('ecs', e);
  await task('RunHooks', 'ecs', { deploymentId: e, lifecycleEvent: 'BeforeAllowTraffic' });
  await shiftAndBake('ecs', e, 0, 'token-e');
  await request('ecs', 'POST', `/deployments/${e}/promote`, 202);
  await task('ShiftTraffic', 'ecs', { deploymentId: e, stepIndex: 1 });
  await task('RunHooks', 'ecs', { deploymentId: e, lifecycleEvent: 'AfterAllowTraffic' });
  await task('Finalize', 'ecs', { deploymentId: e });
  await task('Bake', 'ecs', {
    deploymentId: e,
    stepIndex: -1,
    bakeSeconds: 300,
    purpose: 'TerminationWait',
    taskToken: 'token-e-wait',
  });
  await task('ScaleDownOld', 'ecs', { deploymentId: e });
  // The ticker finds nothing baking with checks (the ECS group has none): it reads the locks only.
  await recorder.as('Analyze', 'ecs', () => tasks.analyzeBakes());
  outcomes.ecsImageSucceeded = await status(e);
  await request('ecs', 'GET', `/deployments/${e}`, 200);
  await request('ecs', 'GET', `/deployments/${e}/execution`, 200);
  await request('ecs', 'GET', '/groups', 200);

  // F: ECS behind a listener, by task definition, stopped without rollback, then rolled back from the API.
  const f = (
    await request('ecs', 'POST', '/groups/web/deployments', 201, { revision: ARNS.taskDefinition('web', 7) })
  ).id;
  await task('Prepare', 'ecs', { deploymentId: f });
  await install('ecs', f);
  await shiftAndBake('ecs', f, 0, 'token-f');
  await stopThenRollBackFromApi('ecs', f, 'ecsListener');

  // G: ECS behind a listener, rolled back by its alarm; then aborted mid-shift, rolled back by the watchdog.
  const g = (
    await request('ecs', 'POST', '/deployments', 201, {
      group: 'web',
      revision: ARNS.taskDefinition('web', 7),
    })
  ).id;
  await task('Prepare', 'ecs', { deploymentId: g });
  await install('ecs', g);
  await shiftAndBake('ecs', g, 0, 'token-g');
  account.setAlarm('web-5xx', 'ALARM');
  await recorder.as('AlarmIntake', 'ecs', () => alarm(alarmEntered('web-5xx')));
  await task('RollBack', 'ecs', {
    deploymentId: g,
    error: { Error: 'AlarmFired', Cause: 'alarm web-5xx entered ALARM' },
  });
  account.setAlarm('web-5xx', 'OK');
  outcomes.ecsRolledBackByAlarm = await status(g);
  const g2 = (
    await request('ecs', 'POST', '/groups/web/deployments', 201, { revision: ARNS.taskDefinition('web', 7) })
  ).id;
  await task('Prepare', 'ecs', { deploymentId: g2 });
  await install('ecs', g2);
  await task('ShiftTraffic', 'ecs', { deploymentId: g2, stepIndex: 0 });
  await recorder.as('ExecutionEnded', 'ecs', () => ended(aborted(g2)));
  outcomes.ecsListenerRolledBackByWatchdog = await status(g2);

  // H: ECS behind a listener rule: stopped then rolled back from the API, aborted then rolled back by
  // the watchdog, and to SUCCEEDED.
  const checkout3 = ARNS.taskDefinition('checkout', 3);
  const h1 = (await request('ecs', 'POST', '/groups/checkout/deployments', 201, { revision: checkout3 })).id;
  await task('Prepare', 'ecs', { deploymentId: h1 });
  await install('ecs', h1);
  await shiftAndBake('ecs', h1, 0, 'token-h1');
  await stopThenRollBackFromApi('ecs', h1, 'ecsRule');
  const h2 = await started(
    'ecs',
    deploymentRequested('0c8e2f4a-6b1d-4c3e-9f5a-7d2b4e6f8a10', { group: 'checkout', revision: checkout3 }),
  );
  await task('Prepare', 'ecs', { deploymentId: h2 });
  await install('ecs', h2);
  await task('ShiftTraffic', 'ecs', { deploymentId: h2, stepIndex: 0 });
  await recorder.as('ExecutionEnded', 'ecs', () => ended(aborted(h2)));
  outcomes.ecsRuleRolledBackByWatchdog = await status(h2);
  // … with a pause before 100 %, approved from the API (SendTaskSuccess).
  const h3 = (
    await request('ecs', 'POST', '/deployments', 201, {
      group: 'checkout',
      revision: checkout3,
      config: {
        type: 'steps',
        steps: [{ percent: 10, bakeSeconds: 0 }, { pause: {} }, { percent: 100, bakeSeconds: 0 }],
      },
    })
  ).id;
  await task('Prepare', 'ecs', { deploymentId: h3 });
  await install('ecs', h3);
  await task('ShiftTraffic', 'ecs', { deploymentId: h3, stepIndex: 0 });
  await task('ShiftTraffic', 'ecs', { deploymentId: h3, stepIndex: 1 });
  await task('AwaitApproval', 'ecs', {
    deploymentId: h3,
    stepIndex: 1,
    timeoutSeconds: 604800,
    taskToken: 'token-h3',
  });
  await request('ecs', 'POST', `/deployments/${h3}/approve`, 202);
  await task('ShiftTraffic', 'ecs', { deploymentId: h3, stepIndex: 2 });
  await task('Finalize', 'ecs', { deploymentId: h3 });
  await task('ScaleDownOld', 'ecs', { deploymentId: h3 });
  outcomes.ecsRuleSucceeded = await status(h3);

  await releaseStories({
    env,
    recorder,
    task,
    request,
    status,
    shiftAndBake,
    install,
    ended,
    aborted,
    outcomes,
  });

  return { recorder, account, outcomes, close: () => env.dynamo.close() };
}

interface StoryKit {
  env: Awaited<ReturnType<typeof awsContext>>;
  recorder: CallRecorder;
  task: (fn: TaskName, kind: RunKind, input: Record<string, unknown>) => Promise<unknown>;
  request: (kind: RunKind, method: string, path: string, status: number, body?: unknown) => Promise<unknown>;
  status: (id: string) => Promise<string | undefined>;
  shiftAndBake: (kind: RunKind, id: string, stepIndex: number, taskToken: string) => Promise<void>;
  install: (kind: RunKind, id: string) => Promise<void>;
  ended: ReturnType<typeof makeExecutionEndedHandler>;
  aborted: (id: string) => unknown;
  outcomes: Record<string, string | undefined>;
}

/**
 * R1–R8: releases. Each member's tasks run as its own execution would run them; the release function's
 * as the release workflow would, with the task tokens its callback states would hand out.
 */
async function releaseStories(k: StoryKit): Promise<void> {
  const { env, recorder, task, request, status, shiftAndBake, install, ended, aborted, outcomes } = k;
  const rel = makeReleaseHandler(() => env.ctx);
  const release = (kind: RunKind, input: Record<string, unknown>) =>
    recorder.as('Release', kind, () => rel(input));
  const releaseStatus = async (id: string) => (await env.ctx.releases.get(id))?.status;
  const orders = env.ctx.groups.groups.orders;
  if (orders?.kind !== 'lambda') throw new Error('the contract config has no Lambda group orders');
  /** A published version of orders that is not the live one. */
  const notLive = async () => {
    const live = await env.ctx.router.current(orders);
    return live.kind === 'lambda' && live.version === '5' ? '4' : '5';
  };
  /** A task definition of web that is not the live service's. */
  const webRevision = async () => {
    const weights = (await env.ctx.loadBalancer?.current({ listener: ARNS.webListener }))?.weights ?? {};
    const service = (weights[ARNS.webGreen] ?? 0) > 0 ? 'web-green' : 'web-blue';
    const live = (await env.ctx.scaler?.describe('shop', service))?.taskDefinition;
    return live === ARNS.taskDefinition('web', 7)
      ? ARNS.taskDefinition('web', 6)
      : ARNS.taskDefinition('web', 7);
  };
  const start = async (kind: RunKind, body: unknown) => {
    const out = (await request(kind, 'POST', '/releases', 201, body)) as {
      id: string;
      members: { deploymentId: string }[];
    };
    return { id: out.id, members: out.members.map((m) => m.deploymentId) };
  };
  /** A Lambda member from Prepare to its commit point (orders: canary with analysis, two hooks). */
  const ordersToCommitPoint = async (id: string, token: string) => {
    await task('Prepare', 'lambda', { deploymentId: id });
    await task('RunHooks', 'lambda', { deploymentId: id, lifecycleEvent: 'BeforeAllowTraffic' });
    await shiftAndBake('lambda', id, 0, `${token}-bake`);
    await task('ShiftTraffic', 'lambda', { deploymentId: id, stepIndex: 1 });
    await task('RunHooks', 'lambda', { deploymentId: id, lifecycleEvent: 'AfterAllowTraffic' });
    await task('Bake', 'lambda', {
      deploymentId: id,
      stepIndex: -1,
      bakeSeconds: 0,
      purpose: 'AwaitRelease',
      taskToken: token,
    });
  };
  const wave = (kind: RunKind, releaseId: string, n: number) => [
    () => release(kind, { action: 'startWave', releaseId, wave: n }),
    () =>
      release(kind, {
        action: 'awaitMembers',
        releaseId,
        phase: 'wave',
        wave: n,
        taskToken: `${releaseId}-w${n}`,
      }),
  ];
  const run = async (steps: (() => Promise<unknown>)[]) => {
    for (const step of steps) await step();
  };

  // R1: orders then web in two waves, to SUCCEEDED: each member's commit point ends its wave's wait
  // (Bake), the commit ends theirs (Release), the last member to finish ends the release's (ScaleDownOld).
  const r1 = await start('ecs', {
    name: 'shop',
    members: [
      { group: 'orders', revision: await notLive() },
      { group: 'web', revision: await webRevision() },
    ],
    order: { waves: [['orders'], ['web']] },
  });
  const [o1 = '', w1 = ''] = r1.members;
  await release('ecs', { action: 'prepare', releaseId: r1.id });
  await run(wave('ecs', r1.id, 0));
  await ordersToCommitPoint(o1, 'token-r1-orders');
  await run(wave('ecs', r1.id, 1));
  await task('Prepare', 'ecs', { deploymentId: w1 });
  await install('ecs', w1);
  await task('RunHooks', 'ecs', { deploymentId: w1, lifecycleEvent: 'BeforeAllowTraffic' });
  await shiftAndBake('ecs', w1, 0, 'token-r1-web-bake');
  await task('ShiftTraffic', 'ecs', { deploymentId: w1, stepIndex: 1 });
  await task('RunHooks', 'ecs', { deploymentId: w1, lifecycleEvent: 'AfterAllowTraffic' });
  await task('Bake', 'ecs', {
    deploymentId: w1,
    stepIndex: -1,
    bakeSeconds: 0,
    purpose: 'AwaitRelease',
    taskToken: 'token-r1-web',
  });
  await release('ecs', { action: 'commit', releaseId: r1.id });
  await release('ecs', { action: 'awaitMembers', releaseId: r1.id, phase: 'end', taskToken: `${r1.id}-end` });
  await task('Finalize', 'lambda', { deploymentId: o1 });
  await task('Finalize', 'ecs', { deploymentId: w1 });
  await task('Bake', 'ecs', {
    deploymentId: w1,
    stepIndex: -1,
    bakeSeconds: 300,
    purpose: 'TerminationWait',
    taskToken: 'token-r1-web-wait',
  });
  await task('ScaleDownOld', 'ecs', { deploymentId: w1 });
  await release('ecs', { action: 'end', releaseId: r1.id });
  outcomes.releaseSucceeded = await releaseStatus(r1.id);
  await request('ecs', 'GET', `/releases/${r1.id}`, 200);
  await request('none', 'GET', '/releases', 200);

  // R2: orders alone, to SUCCEEDED: Finalize ends the release's last wait.
  const r2 = await start('lambda', {
    name: 'orders only',
    members: [{ group: 'orders', revision: await notLive() }],
  });
  const [o2 = ''] = r2.members;
  await release('lambda', { action: 'prepare', releaseId: r2.id });
  await run(wave('lambda', r2.id, 0));
  await ordersToCommitPoint(o2, 'token-r2-orders');
  await release('lambda', { action: 'commit', releaseId: r2.id });
  await release('lambda', {
    action: 'awaitMembers',
    releaseId: r2.id,
    phase: 'end',
    taskToken: `${r2.id}-end`,
  });
  await task('Finalize', 'lambda', { deploymentId: o2 });
  await release('lambda', { action: 'end', releaseId: r2.id });
  outcomes.releaseOfOneSucceeded = await releaseStatus(r2.id);

  // R3: orders and web side by side; web fails (its RollBack ends the wave's wait with MemberFailed), orders
  // reaches its commit point after (Bake says the same again), the release stops orders with rollback.
  const r3 = await start('lambda', {
    name: 'shop',
    members: [
      { group: 'orders', revision: await notLive() },
      { group: 'web', revision: await webRevision() },
    ],
  });
  const [o3 = '', w3 = ''] = r3.members;
  await release('lambda', { action: 'prepare', releaseId: r3.id });
  await run(wave('lambda', r3.id, 0));
  await task('Prepare', 'ecs', { deploymentId: w3 });
  await install('ecs', w3);
  await task('ShiftTraffic', 'ecs', { deploymentId: w3, stepIndex: 0 });
  await task('RollBack', 'ecs', {
    deploymentId: w3,
    error: { Error: 'HookFailed', Cause: 'web-smoke failed' },
  });
  await ordersToCommitPoint(o3, 'token-r3-orders');
  await release('lambda', {
    action: 'rollback',
    releaseId: r3.id,
    error: { Error: 'MemberFailed', Cause: 'web rolled back' },
  });
  await release('lambda', {
    action: 'awaitMembers',
    releaseId: r3.id,
    phase: 'end',
    taskToken: `${r3.id}-end`,
  });
  await task('RollBack', 'lambda', {
    deploymentId: o3,
    error: { Error: 'StopRequested', Cause: 'release shop rolled back' },
  });
  await release('lambda', { action: 'end', releaseId: r3.id });
  outcomes.releaseRolledBack = await releaseStatus(r3.id);

  // R4: web then orders in two waves; web's execution is aborted mid-shift: the watchdog's rollback ends
  // the wave's wait, the release cancels orders (never started) and its own wait for the end is over.
  const r4 = await start('ecs', {
    name: 'shop',
    members: [
      { group: 'web', revision: await webRevision() },
      { group: 'orders', revision: await notLive() },
    ],
    order: { waves: [['web'], ['orders']] },
  });
  const [w4 = '', o4 = ''] = r4.members;
  await release('ecs', { action: 'prepare', releaseId: r4.id });
  await run(wave('ecs', r4.id, 0));
  await task('Prepare', 'ecs', { deploymentId: w4 });
  await install('ecs', w4);
  await task('ShiftTraffic', 'ecs', { deploymentId: w4, stepIndex: 0 });
  await recorder.as('ExecutionEnded', 'ecs', () => ended(aborted(w4)));
  await release('ecs', {
    action: 'rollback',
    releaseId: r4.id,
    error: { Error: 'MemberFailed', Cause: 'web rolled back' },
  });
  await release('ecs', { action: 'awaitMembers', releaseId: r4.id, phase: 'end', taskToken: `${r4.id}-end` });
  await release('ecs', { action: 'end', releaseId: r4.id });
  outcomes.releaseRolledBackByWatchdog = await releaseStatus(r4.id);
  outcomes.releaseMemberCancelled = await status(o4);

  // R5: orders alone, committed, then its execution aborted before Finalize: the watchdog rolls it back
  // and ends the release's wait for the end; the release ends FAILED.
  const r5 = await start('lambda', {
    name: 'orders only',
    members: [{ group: 'orders', revision: await notLive() }],
  });
  const [o5 = ''] = r5.members;
  await release('lambda', { action: 'prepare', releaseId: r5.id });
  await run(wave('lambda', r5.id, 0));
  await ordersToCommitPoint(o5, 'token-r5-orders');
  await release('lambda', { action: 'commit', releaseId: r5.id });
  await release('lambda', {
    action: 'awaitMembers',
    releaseId: r5.id,
    phase: 'end',
    taskToken: `${r5.id}-end`,
  });
  await recorder.as('ExecutionEnded', 'lambda', () => ended(aborted(o5)));
  await release('lambda', { action: 'end', releaseId: r5.id });
  outcomes.releaseFailedAfterCommit = await releaseStatus(r5.id);

  // R6: stopped from the API while its first wave runs (SendTaskFailure on the wave's wait); then a
  // release whose own execution is aborted: the release function, as its watchdog, stops what runs and
  // cancels what never started, and the member's RollBack ends it.
  const r6 = await start('lambda', {
    name: 'orders only',
    members: [{ group: 'orders', revision: await notLive() }],
  });
  await release('lambda', { action: 'prepare', releaseId: r6.id });
  await run(wave('lambda', r6.id, 0));
  await request('lambda', 'POST', `/releases/${r6.id}/stop`, 202, { reason: 'wrong build' });
  await release('lambda', {
    action: 'rollback',
    releaseId: r6.id,
    error: { Error: 'StopRequested', Cause: 'release stop requested' },
  });
  await release('lambda', {
    action: 'awaitMembers',
    releaseId: r6.id,
    phase: 'end',
    taskToken: `${r6.id}-end`,
  });
  await task('Prepare', 'lambda', { deploymentId: r6.members[0] ?? '' }).catch(() => undefined);
  await task('RollBack', 'lambda', {
    deploymentId: r6.members[0] ?? '',
    error: { Error: 'StopRequested', Cause: 'stop' },
  });
  await release('lambda', { action: 'end', releaseId: r6.id });
  outcomes.releaseStopped = await releaseStatus(r6.id);
  const r7 = await start('ecs', {
    name: 'shop',
    members: [
      { group: 'orders', revision: await notLive() },
      { group: 'web', revision: await webRevision() },
    ],
    order: { waves: [['orders'], ['web']] },
  });
  const [o7 = '', w7 = ''] = r7.members;
  await release('ecs', { action: 'prepare', releaseId: r7.id });
  await run(wave('ecs', r7.id, 0));
  await release('ecs', {
    ...(aborted(r7.id) as Record<string, unknown>),
    detail: { status: 'ABORTED', name: r7.id, input: JSON.stringify({ releaseId: r7.id }) },
  });
  await task('Prepare', 'lambda', { deploymentId: o7 }).catch(() => undefined);
  await task('RollBack', 'lambda', { deploymentId: o7, error: { Error: 'StopRequested', Cause: 'stop' } });
  outcomes.releaseAbortedEnded = await releaseStatus(r7.id);
  outcomes.releaseAbortedMemberCancelled = await status(w7);

  // R8: a release of the ECS group behind a listener rule (the API's preflight reads the rule), stopped
  // from the API before its first wave: its member never starts, and is cancelled.
  const r8 = await start('ecs', {
    name: 'checkout',
    members: [{ group: 'checkout', revision: ARNS.taskDefinition('checkout', 2) }],
  });
  await release('ecs', { action: 'prepare', releaseId: r8.id });
  await request('ecs', 'POST', `/releases/${r8.id}/stop`, 202, { reason: 'not this week' });
  await release('ecs', {
    action: 'rollback',
    releaseId: r8.id,
    error: { Error: 'StopRequested', Cause: 'release stop requested' },
  });
  await release('ecs', { action: 'end', releaseId: r8.id });
  outcomes.releaseStoppedBeforeItsWave = await releaseStatus(r8.id);
  outcomes.releaseStoppedBeforeItsWaveMember = await status(r8.members[0] ?? '');
}
