import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGroupConfigFile, main } from '../../bin/cli.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { HEALTHY, seedExampleAccount } from '../../local/seed.ts';
import { serveLocalApi } from '../../local/server.ts';

let local: LocalStepShift;
let url: string;
let close: () => void;

beforeAll(async () => {
  local = await startLocal({
    groups: loadGroupConfigFile('stepshift.config.json'),
    speed: 1000,
    traffic: false,
    seed: (a) => seedExampleAccount(a),
  });
  const served = await serveLocalApi(local.ctx, 0);
  url = served.url;
  close = () => served.server.close();
});
afterAll(async () => {
  close();
  await local.close();
});

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--url', url], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

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

  it('deploys the fix past a firing alarm only with --ignore-alarm, which the error names', async () => {
    local.account.setAlarmState('orders-api-5xx', 'ALARM');
    const v2 = local.account.publishVersion('orders-api', HEALTHY);
    const refused = await run('deploy', 'orders-api', v2);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('409 Conflict: alarm orders-api-5xx is in ALARM');
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

  it('prints the API’s error and exits 1', async () => {
    const { code, err } = await run('deploy', 'nope', '2');
    expect(code).toBe(1);
    expect(err).toContain('400 ValidationError: invalid deployment request');
  });

  it('says clearly when local mode is not running', async () => {
    const out: string[] = [];
    const code = await main(['list', '--url', 'http://127.0.0.1:9'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
    });
    expect(code).toBe(1);
    expect(out.join('')).toContain('cannot reach stepshift at http://127.0.0.1:9: is `npm start` running?');
  });
});
