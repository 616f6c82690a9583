/**
 * The `stepshift local …` commands against a served local mode, as a user types them: their output, their
 * effect on the simulated account, and a clear error for a bad flag.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGroupConfigFile, main } from '../../bin/cli.ts';
import { StepClock } from '../../local/clock.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { Rehearsal } from '../../local/rehearsal.ts';
import { localRoutes } from '../../local/routes.ts';
import { seedAccount } from '../../local/seed.ts';
import { serveLocalApi } from '../../local/server.ts';

let local: LocalStepShift;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const groups = loadGroupConfigFile('stepshift.config.json');
  local = await startLocal({
    groups,
    clock: new StepClock(),
    traffic: false,
    seed: (account) => seedAccount(account, groups),
  });
  const rehearsal = new Rehearsal(local, {
    bucketRoot: join(mkdtempSync(join(tmpdir(), 'stepshift-s3-')), 's3'),
  });
  const served = await serveLocalApi(local.ctx, 0, localRoutes(rehearsal));
  url = served.url;
  close = async () => {
    served.server.close();
    await local.close();
  };
});
afterAll(() => close());

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--url', url], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('stepshift local', () => {
  it('publishes a version with the behaviour asked for and prints only its number', async () => {
    const published = await run('local', 'publish', 'payments', '--error-rate', '0.3', '--latency-ms', '400');
    expect(published).toMatchObject({ code: 0, out: '2' });
    const payments = local.account.snapshot().functions.find((f) => f.name === 'payments');
    expect(payments?.versions.find((v) => v.version === '2')).toMatchObject({
      errorRate: 0.3,
      latencyMs: 400,
    });
  });

  it('describes an image, sets a hook and the traffic rate, each answering what it did', async () => {
    expect(await run('local', 'image', 'web', 'shop/web:9.9', '--fail-to-start')).toMatchObject({
      code: 0,
      out: 'shop/web:9.9',
    });
    expect(await run('local', 'hook', 'orders-api-contract-test', 'fail')).toMatchObject({
      code: 0,
      out: 'orders-api-contract-test: fail',
    });
    expect(await run('local', 'traffic', 'payments', '12')).toMatchObject({
      code: 0,
      out: 'payments: 12 requests per virtual second',
    });
  });

  it('posts an event in AWS’s shape and says which rule it matched', async () => {
    const sent = await run('local', 'event', 'request', 'payments', '1');
    expect(sent.code).toBe(0);
    expect(sent.out).toMatch(/^event \S+: Trigger-payments-0 → Intake: /);
  });

  it('refuses a bad flag with the rule it breaks, and exits 2', async () => {
    const bad = await run('local', 'publish', 'payments', '--error-rate', '2');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--error-rate must be a number from 0 to 1, not "2"');
  });
});
