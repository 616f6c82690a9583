import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGroupConfigFile, main } from '../../bin/cli.ts';
import type { LocalStepShift } from '../../local/index.ts';
import { HEALTHY, seedExampleAccount } from '../../local/seed.ts';
import { runCli, startLocalApi } from './local-api.ts';
import { closedPort } from './stub-api.ts';

let local: LocalStepShift;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ local, url, close } = await startLocalApi({
    groups: loadGroupConfigFile('stepshift.config.json'),
    speed: 1000,
    traffic: false,
    seed: (a) => seedExampleAccount(a),
  }));
});
afterAll(() => close());

const run = (...argv: string[]) => runCli(url, ...argv);

describe('the CLI against local mode', () => {
  it('deploys, lists, shows and stops a deployment', async () => {
    const v2 = local.account.publishVersion('payments', HEALTHY);
    const deployed = await run(
      'deploy',
      'payments',
      v2,
      '--config',
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    );
    expect(deployed.code).toBe(0);
    const id = /^(d-\S+): CREATED — version 2 to payments/.exec(deployed.out)?.[1];
    expect(id).toBeDefined();

    const listed = await run('list');
    expect(listed.out).toMatch(new RegExp(`${id}\\s+payments\\s+v2`));

    const stopped = await run('stop', id ?? '');
    expect(stopped).toMatchObject({ code: 0, out: `${id}: stop requested (with rollback)` });
    await local.workflow.execution(id ?? '')?.done;

    const status = await run('status', id ?? '');
    expect(status.out).toMatch(new RegExp(`^${id}  payments  version 2  ROLLED_BACK`));
    expect(status.out).toContain('stop requested (with rollback)');
  });

  it('queues a deployment behind a running one with --on-busy queue, lists its place, and cancels it', async () => {
    // Prepare: a deployment that bakes for minutes.
    const running = await run(
      'deploy',
      'payments',
      local.account.publishVersion('payments', HEALTHY),
      '--config',
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    );
    const runningId = /^(d-\S+): CREATED/.exec(running.out)?.[1] ?? '';
    // Act
    const queued = await run(
      'deploy',
      'payments',
      local.account.publishVersion('payments', HEALTHY),
      '--on-busy',
      'queue',
    );
    const id = /^(d-\S+): QUEUED \(place 1 in the queue\)/.exec(queued.out)?.[1];
    const listed = await run('list', '--group', 'payments');
    const cancelled = await run('cancel', id ?? '', '--reason', 'not now');
    const bogus = await run('deploy', 'payments', '9', '--on-busy', 'later');
    // Assess
    expect(id).toBeDefined();
    expect(listed.out).toMatch(new RegExp(`${id}\\s+payments\\s+v\\d+\\s+QUEUED\\s+#1 in queue`));
    expect(cancelled).toMatchObject({ code: 0, out: `${id}: CANCELLED` });
    expect(bogus.code).toBe(2);
    expect(bogus.err).toContain('--on-busy must be one of reject, queue, supersede');
    await run('stop', runningId);
    await local.workflow.execution(runningId)?.done;
  });

  it('deploys the fix past a firing alarm only with --ignore-alarm, which the error names', async () => {
    local.account.setAlarmState('orders-api-5xx', 'ALARM');
    const v2 = local.account.publishVersion('orders-api', HEALTHY);
    const refused = await run('deploy', 'orders-api', v2);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/^stepshift: 409 Conflict: alarm orders-api-5xx is in ALARM/);
    expect(refused.err).toContain('--ignore-alarm orders-api-5xx');
    const deployed = await run('deploy', 'orders-api', v2, '--ignore-alarm', 'orders-api-5xx');
    expect(deployed.code).toBe(0);
    const id = /^(d-\S+): CREATED/.exec(deployed.out)?.[1] ?? '';
    const { deployment } = (await (await fetch(`${url}/deployments/${id}`)).json()) as {
      deployment: Record<string, unknown>;
    };
    expect(deployment).toMatchObject({
      ignoredAlarms: ['orders-api-5xx'],
      alarms: ['orders-api-p99-latency'],
    });
    expect((await run('stop', id)).code).toBe(0);
    await local.workflow.execution(id)?.done;
  });

  it('prints the API’s refusal with every problem, no class name, and exits 2 as for any 4xx', async () => {
    const { code, err } = await run('deploy', 'nope', '2');
    expect(code).toBe(2);
    expect(err).toMatch(
      /^stepshift: 400 ValidationError: invalid deployment request: 1 problem\n {2}group: no group named "nope"/,
    );
    expect(err).not.toContain('ApiError');
  });

  it('says clearly when local mode is not running, and exits 1', async () => {
    const out: string[] = [];
    const url = `http://127.0.0.1:${await closedPort()}`;
    const code = await main(['list', '--url', url], { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(code).toBe(1);
    expect(out).toEqual([
      `stepshift: cannot reach stepshift at ${url}: is \`npm start\` running? (ECONNREFUSED)`,
    ]);
  });

  it('takes the URL from STEPSHIFT_URL when --url is not given', async () => {
    const before = process.env.STEPSHIFT_URL;
    process.env.STEPSHIFT_URL = url;
    try {
      const out: string[] = [];
      const code = await main(['list', '--json'], { out: (t) => out.push(t), err: (t) => out.push(t) });
      expect(code).toBe(0);
      expect(Array.isArray(JSON.parse(out.join('\n')))).toBe(true);
    } finally {
      if (before === undefined) delete process.env.STEPSHIFT_URL;
      else process.env.STEPSHIFT_URL = before;
    }
  });
});

describe('following a deployment in local mode', () => {
  it('deploy --wait follows it to SUCCEEDED and exits 0', async () => {
    const v = local.account.publishVersion('payments', HEALTHY);
    const { code, out, err } = await run('deploy', 'payments', v, '--wait', '--interval', '0.1');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^d-\\S+: CREATED — version ${v} to payments`));
    expect(lines).toContain('status SUCCEEDED');
    expect(lines).toContain('step 10/10  ████████████████████  100 %');
  });

  it('status --watch exits 1 when a watched alarm rolls it back', async () => {
    const v = local.account.publishVersion('payments', HEALTHY);
    const started = await run('deploy', 'payments', v);
    const id = /^(d-\S+):/.exec(started.out)?.[1] ?? '';
    const watching = run('status', id, '--watch', '--interval', '0.1');
    local.account.setAlarmState('payments-errors', 'ALARM');
    try {
      const { code, out } = await watching;
      expect(code).toBe(1);
      expect(out).toMatch(/^status ROLLED_BACK — .*payments-errors/m);
      expect(out).toContain('alarm payments-errors: ALARM');
    } finally {
      local.account.setAlarmState('payments-errors', 'OK');
    }
  });

  it('status --json prints the API’s body, progress included; list --json the deployments', async () => {
    const listed = await run('list', '--json', '--group', 'payments');
    const deployments = JSON.parse(listed.out) as { id: string; group: string }[];
    expect(deployments.length).toBeGreaterThan(0);
    expect(deployments.every((d) => d.group === 'payments')).toBe(true);
    const status = await run('status', deployments[0]?.id ?? '', '--json');
    expect(JSON.parse(status.out)).toMatchObject({
      deployment: { id: deployments[0]?.id },
      progress: { phase: 'ended' },
      timeline: expect.any(Array),
    });
  });
});
