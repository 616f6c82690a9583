/**
 * Notifications in local mode: deployments run through the real workflow on the test clock, and a loopback
 * HTTP receiver (node:http on 127.0.0.1, port 0) gets what each group's notifications call for — one POST
 * per configured event, the message of functions/core/notifications.ts, nothing for the other events —
 * while a receiver that fails or never answers holds up no deployment.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getDeployment, startDeployment } from '../../functions/api/operations.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import type { HookFunction } from '../../local/account.ts';
import { StepClock } from '../../local/clock.ts';
import { snsLine } from '../../local/demo-output.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { Rehearsal } from '../../local/rehearsal.ts';
import { localRoutes } from '../../local/routes.ts';
import { HEALTHY } from '../../local/seed.ts';

interface Received {
  path: string;
  body: unknown;
}

/** A webhook receiver: `/ok…` answers 200, `/fail…` 500, `/hang…` never answers. */
async function receiver(): Promise<{
  url: string;
  received: Received[];
  on(path: string): unknown[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, body: JSON.parse(text) });
      if (path.startsWith('/hang')) hanging.push(res);
      else res.writeHead(path.startsWith('/fail') ? 500 : 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on: (path) => received.filter((r) => r.path === path).map((r) => r.body),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const each of open.splice(0).reverse()) await each.close();
});

/** Local mode with Lambda groups `orders` and `billing`, the given notifications and hooks, on the test clock. */
async function local(
  notifications: { orders?: unknown[]; billing?: unknown[] },
  options: { hooks?: Record<string, HookFunction>; ordersHooks?: unknown; timeoutMs?: number } = {},
) {
  const group = (name: 'orders' | 'billing') => ({
    kind: 'lambda',
    target: { functionName: name, alias: 'live' },
    deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
    notifications: notifications[name] ?? [],
    ...(name === 'orders' && options.ordersHooks ? { hooks: options.ordersHooks } : {}),
  });
  const clock = new StepClock();
  const stepshift: LocalStepShift = await startLocal({
    groups: parseGroupConfig({ groups: { orders: group('orders'), billing: group('billing') } }),
    clock,
    traffic: false,
    ...(options.timeoutMs ? { notificationTimeoutMs: options.timeoutMs } : {}),
    seed: (account) => {
      account.createFunction('orders', HEALTHY, { alias: 'live' });
      account.createFunction('billing', HEALTHY, { alias: 'live' });
      for (const [name, fn] of Object.entries(options.hooks ?? {})) account.registerHook(name, fn);
    },
  });
  open.push(stepshift);
  const deploy = async (name: 'orders' | 'billing') => {
    const revision = stepshift.account.publishVersion(name, HEALTHY);
    const { deployment } = await startDeployment(stepshift.ctx, { group: name, revision });
    const execution = stepshift.workflow.execution(deployment.executionName);
    if (!execution) throw new Error(`no execution ${deployment.executionName}`);
    await clock.run(execution.done);
    return (await getDeployment(stepshift.ctx, deployment.id)).deployment;
  };
  return { stepshift, deploy };
}

describe('notifications in local mode', () => {
  it('POSTs one message per configured event of a deployment, and nothing for the events not configured', async () => {
    const hooks = await receiver();
    open.push(hooks);
    const { stepshift, deploy } = await local({
      orders: [
        { events: ['started', 'succeeded', 'failed'], webhook: `${hooks.url}/ok/releases` },
        { events: ['rolledBack', 'stopped', 'approvalPending'], webhook: `${hooks.url}/ok/incidents` },
      ],
      billing: [{ events: ['started', 'succeeded'], webhook: `${hooks.url}/ok/billing` }],
    });

    const d = await deploy('orders');
    await stepshift.notifier.settled();

    expect(d.status).toBe('SUCCEEDED');
    expect(hooks.on('/ok/releases')).toEqual([
      {
        text: `:arrow_forward: stepshift: the deployment of revision ${d.revision} to orders started (IN_PROGRESS, deployment ${d.id}).`,
      },
      {
        text: `:white_check_mark: stepshift: the deployment of revision ${d.revision} to orders succeeded (SUCCEEDED, deployment ${d.id}).`,
      },
    ]);
    expect(hooks.on('/ok/incidents')).toEqual([]);
    expect(hooks.on('/ok/billing')).toEqual([]);
    expect(hooks.received).toHaveLength(2);
  });

  it('notifies a rollback with its reason, to the webhook and to the simulated SNS topic', async () => {
    const hooks = await receiver();
    open.push(hooks);
    const topic = 'arn:aws:sns:us-east-1:000000000000:releases';
    const { stepshift, deploy } = await local(
      { orders: [{ events: ['rolledBack', 'succeeded'], webhook: `${hooks.url}/ok`, sns: topic }] },
      {
        ordersHooks: { BeforeAllowTraffic: ['smoke'] },
        hooks: { smoke: () => ({ status: 'Failed', reason: 'table orders_v2 missing' }) },
      },
    );

    const d = await deploy('orders');
    await stepshift.notifier.settled();

    expect(d.status).toBe('ROLLED_BACK');
    const bodies = hooks.on('/ok') as { text: string }[];
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.text).toMatch(
      new RegExp(
        `^:leftwards_arrow_with_hook: stepshift: the deployment of revision ${d.revision} to orders was rolled back \\(ROLLED_BACK, deployment ${d.id}\\)\\. Reason: .*table orders_v2 missing`,
      ),
    );
    expect(stepshift.account.sns.published).toEqual([
      { topicArn: topic, message: JSON.stringify(bodies[0]), at: expect.any(String) },
    ]);
    // What a rehearsal reads (GET /local/notifications), and what the demo prints for it.
    const read = await localRoutes(
      new Rehearsal(stepshift, { bucketRoot: mkdtempSync(join(tmpdir(), 'notify-')) }),
    )({
      method: 'GET',
      path: '/local/notifications',
      query: {},
      headers: {},
      body: undefined,
    });
    expect(read).toMatchObject({
      status: 200,
      body: {
        sns: stepshift.account.sns.published,
        webhooks: [{ rule: 'Notify-orders-0-rolledBack', outcome: 'delivered', status: 200 }],
      },
    });
    expect(stepshift.account.sns.published.map(snsLine)).toEqual([`  ── sns releases: ${bodies[0]?.text}`]);
  });

  it('finishes a deployment while a receiver hangs, and stops waiting for it when local mode closes', async () => {
    const hooks = await receiver();
    open.push(hooks);
    const { stepshift, deploy } = await local(
      { orders: [{ events: ['started', 'succeeded'], webhook: `${hooks.url}/hang` }] },
      { timeoutMs: 60_000 },
    );

    const d = await deploy('orders');

    expect(d.status).toBe('SUCCEEDED');
    expect(stepshift.notifier.deliveries.map((x) => x.outcome)).toEqual(['pending', 'pending']);
    await stepshift.close();
    expect(stepshift.notifier.deliveries.map((x) => x.outcome)).toEqual(['failed', 'failed']);
  });

  it('reports a receiver that fails or does not answer in time, without throwing, and still sends the others', async () => {
    const hooks = await receiver();
    open.push(hooks);
    const logged: string[] = [];
    const error = console.error;
    console.error = (line: unknown) => logged.push(String(line));
    try {
      const { stepshift, deploy } = await local(
        {
          orders: [
            { events: ['started', 'succeeded'], webhook: `${hooks.url}/fail` },
            { events: ['started', 'succeeded'], webhook: `${hooks.url}/hang` },
            { events: ['succeeded'], webhook: `${hooks.url}/ok` },
          ],
        },
        { timeoutMs: 200 },
      );

      const d = await deploy('orders');
      await stepshift.notifier.settled();

      expect(d.status).toBe('SUCCEEDED');
      const outcomes = stepshift.notifier.deliveries.map((x) => [x.rule, x.outcome, x.error ?? null]);
      expect(outcomes).toEqual(
        expect.arrayContaining([
          ['Notify-orders-0-started', 'failed', 'HTTP 500'],
          ['Notify-orders-0-succeeded', 'failed', 'HTTP 500'],
          ['Notify-orders-1-started', 'failed', 'no answer within 200 ms'],
          ['Notify-orders-1-succeeded', 'failed', 'no answer within 200 ms'],
          ['Notify-orders-2-succeeded', 'delivered', null],
        ]),
      );
      expect(outcomes).toHaveLength(5);
      expect(hooks.on('/ok')).toHaveLength(1);
      expect(logged.filter((l) => l.startsWith('notification Notify-orders-'))).toHaveLength(4);
    } finally {
      console.error = error;
    }
  });

  it('POSTs an Approval Pending of its group only, and calls no https webhook from local mode', async () => {
    const hooks = await receiver();
    open.push(hooks);
    const { stepshift } = await local({
      orders: [
        { events: ['approvalPending'], webhook: `${hooks.url}/ok` },
        { events: ['approvalPending'], webhook: 'https://hooks.slack.com/services/T0/B0/XYZ' },
      ],
    });
    // Synthetic: the approval gate publishes these; local mode's bus hands them to the notifier.
    const pending = (group: string) => ({
      deploymentId: 'd-7',
      group,
      revision: '3',
      stepIndex: 1,
      percent: 10,
      timeoutSeconds: 600,
      at: '2026-11-25T09:00:00Z',
    });
    const logged: string[] = [];
    const error = console.error;
    console.error = (line: unknown) => logged.push(String(line));
    try {
      stepshift.notifier.approvalPending(pending('billing'));
      stepshift.notifier.approvalPending(pending('orders'));
      await stepshift.notifier.settled();
    } finally {
      console.error = error;
    }

    expect(hooks.on('/ok')).toEqual([
      {
        text: ':raised_hand: stepshift: the deployment of revision 3 to orders waits for approval (APPROVAL_PENDING, deployment d-7). It holds 10 % of traffic at step 1: approve or reject it (stepshift approve d-7, stepshift reject d-7).',
      },
    ]);
    expect(stepshift.notifier.deliveries.find((x) => x.url.startsWith('https://'))?.outcome).toBe('skipped');
    expect(logged).toEqual([expect.stringContaining('https://hooks.slack.com/services/T0/B0/XYZ skipped')]);
  });
});
