import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../functions/api/http.ts';
import { startDeployment } from '../../functions/api/operations.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { parseLocalAccountFile } from '../../local/account-file.ts';
import { ecrPushEntry, type PutEventsEntry, requestEntry, s3PutEntry } from '../../local/aws-events.ts';
import { StepClock } from '../../local/clock.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { Rehearsal } from '../../local/rehearsal.ts';
import { localRoutes } from '../../local/routes.ts';
import { seedAccount } from '../../local/seed.ts';
import { untilStored } from '../workflow/harness.ts';

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
/** A user's own config: nothing of the example. */
const config = () =>
  parseGroupConfig({
    groups: {
      checkout: {
        kind: 'lambda',
        target: { functionName: 'checkout', alias: 'prod' },
        deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        hooks: { BeforeAllowTraffic: ['checkout-smoke'] },
        alarms: ['checkout-errors'],
        triggers: [{ type: 'deploymentRequested' }],
      },
      storefront: {
        kind: 'ecs',
        target: {
          cluster: 'acme',
          blueService: 'storefront-a',
          greenService: 'storefront-b',
          blueTargetGroup: `${ELB}:targetgroup/storefront-a/00000000000000a1`,
          greenTargetGroup: `${ELB}:targetgroup/storefront-b/00000000000000b2`,
          listener: `${ELB}:listener/app/acme/00000000000000c3/00000000000000d4`,
          container: 'app',
          taskRoles: ['arn:aws:iam::000000000000:role/storefront-task'],
          terminationWaitMinutes: 1,
          steadyTimeoutMinutes: 10,
        },
        deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
        alarms: ['storefront-5xx'],
        triggers: [{ type: 'ecrPush', repository: 'acme/storefront', tags: ['v*'] }],
      },
    },
  });

const post = (path: string, body: unknown, method = 'POST'): HttpRequest => ({
  method,
  path,
  query: {},
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('rehearsing a new config in local mode', () => {
  let local: LocalStepShift;
  let clock: StepClock;
  let rehearsal: Rehearsal;
  let routes: ReturnType<typeof localRoutes>;
  let dataDir: string;
  const groups = config();

  beforeEach(async () => {
    clock = new StepClock();
    dataDir = mkdtempSync(join(tmpdir(), 'stepshift-rehearsal-'));
    local = await startLocal({ groups, clock, dataDir, seed: (account) => seedAccount(account, groups) });
    rehearsal = new Rehearsal(local, { bucketRoot: join(dataDir, 's3') });
    routes = localRoutes(rehearsal);
  });
  afterEach(() => local.close());

  it('rolls back a bad version by the group’s own alarm, succeeds with a good one, and deploys an ECR push on ECS', async () => {
    // Prepare: the account made what the config declares, with no code for either group.
    expect(local.account.aliasRouting('checkout', 'prod').version).toBe('1');
    expect(local.account.service('acme', 'storefront-a')).toMatchObject({
      desiredCount: 3,
      rollout: 'COMPLETED',
    });
    expect(local.account.cloudwatch.alarmState('checkout-errors')).not.toBe('MISSING');

    // Act: publish a bad version through the local route, and deploy it.
    const bad = await routes(post('/local/groups/checkout/versions', { errorRate: 0.5 }));
    expect(bad).toMatchObject({ status: 201, body: { version: '2' } });
    const first = (await startDeployment(local.ctx, { group: 'checkout', revision: '2' })).deployment;
    const rolledBack = await untilStored(
      clock,
      local.ctx,
      first,
      (d) => d.status === 'ROLLED_BACK',
      'the rollback',
    );

    // Assess
    expect(rolledBack.reason).toMatch(/checkout-errors/);
    expect(local.account.aliasRouting('checkout', 'prod')).toEqual({
      kind: 'lambda',
      version: '1',
      additionalVersionWeights: {},
    });

    // Act: a good version, asked for by a Deployment Requested event on the bus.
    const good = rehearsal.publishVersion('checkout').version;
    await untilStored(
      clock,
      local.ctx,
      rolledBack,
      () => local.account.cloudwatch.alarmState('checkout-errors') === 'OK',
      'the alarm back to OK',
    );
    const requested = await rehearsal.putEvents([requestEntry({ group: 'checkout', revision: good })]);
    const started = requested.Entries[0]?.Deliveries[0]?.result as { outcome: string; deploymentId: string };
    expect(started.outcome).toBe('started');
    const stored = await local.ctx.store.get(started.deploymentId);
    if (!stored) throw new Error('no deployment stored for the event');
    await untilStored(
      clock,
      local.ctx,
      stored,
      (d) => d.status === 'SUCCEEDED',
      'the good version succeeding',
    );

    // Assess
    expect(local.account.aliasRouting('checkout', 'prod').version).toBe(good);

    // Act: an ECR push of a tag the trigger watches.
    const image = rehearsal.describeImage('storefront', 'acme/storefront:v2');
    const pushed = await routes(post('/events', { Entries: [ecrPushEntry('acme/storefront', 'v2')] }));
    const delivery = (
      (pushed ?? { body: {} }).body as {
        Entries: { Deliveries: { rule: string; result: { deploymentId: string } }[] }[];
      }
    ).Entries[0]?.Deliveries[0];
    expect(delivery?.rule).toBe('Trigger-storefront-0');
    const ecs = await local.ctx.store.get(delivery?.result.deploymentId ?? '');
    if (!ecs) throw new Error('no ECS deployment stored for the push');
    const done = await untilStored(
      clock,
      local.ctx,
      ecs,
      (d) => d.status === 'SUCCEEDED' || d.status === 'ROLLED_BACK' || d.status === 'FAILED',
      'the ECS deployment ending',
    );

    // Assess: the pushed image, pinned by digest, serves all traffic.
    expect(done.status).toBe('SUCCEEDED');
    expect(done.revision).toBe(image.pushedAs);
    const green = local.account.service('acme', 'storefront-b');
    const td = local.account.ecs.behind(`${ELB}:targetgroup/storefront-b/00000000000000b2`);
    expect(green.desiredCount).toBe(3);
    expect(td?.taskDefinition).toBe(green.taskDefinition);
    expect(
      local.account.listenerWeights(`${ELB}:listener/app/acme/00000000000000c3/00000000000000d4`),
    ).toEqual({
      [`${ELB}:targetgroup/storefront-a/00000000000000a1`]: 0,
      [`${ELB}:targetgroup/storefront-b/00000000000000b2`]: 1,
    });
  }, 60_000);

  it('starts nothing new when an event is delivered again, and lists rejected events as dead letters', async () => {
    // Prepare
    rehearsal.describeImage('storefront', 'acme/storefront:v3');
    const put = await rehearsal.putEvents([
      ecrPushEntry('acme/storefront', 'v3'),
      ecrPushEntry('acme/storefront', 'latest'),
    ]);
    const eventId = put.Entries[0]?.EventId ?? '';

    // Act: the same event again, with its id, and an event no rule matches but Intake would drop.
    const again = await routes(
      post('/local/deliveries', busEvent(eventId, ecrPushEntry('acme/storefront', 'v3'))),
    );
    await routes(post('/events', { Entries: [requestEntry({ group: 'checkout', revision: '99' })] }));
    const letters = await routes({
      method: 'GET',
      path: '/dead-letters',
      query: {},
      headers: {},
      body: undefined,
    });

    // Assess
    expect(put.Entries[1]?.MatchedRules).toEqual([]);
    expect(again).toMatchObject({
      status: 200,
      body: { deliveries: [{ result: { outcome: 'duplicate' } }] },
    });
    expect(await local.ctx.store.list({ group: 'storefront' })).toHaveLength(1);
    expect(letters?.body).toMatchObject({
      deadLetters: [{ queue: 'IntakeDeadLetters', reason: expect.stringMatching(/99/) }],
    });
  });

  it('publishes an S3 artifact through the real intake path, once per event, and rejects what is not a zip', async () => {
    // Prepare: an S3-triggered group in a config of its own.
    await local.close();
    const s3Groups = parseGroupConfig({
      groups: {
        billing: {
          kind: 'lambda',
          target: { functionName: 'billing', alias: 'live' },
          deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
          triggers: [{ type: 's3ObjectCreated', bucket: 'artifacts', keyPrefix: 'billing/' }],
        },
      },
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-artifacts-'));
    local = await startLocal({
      groups: s3Groups,
      clock,
      dataDir,
      traffic: false,
      seed: (a) => seedAccount(a, s3Groups),
    });
    rehearsal = new Rehearsal(local, { bucketRoot: join(dataDir, 's3') });
    const zip = Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
    const object = rehearsal.putObject('artifacts', 'billing/v2.zip', zip);
    rehearsal.putObject('artifacts', 'billing/notes.txt', Buffer.from('not a zip'));
    const entry = s3PutEntry(object);

    // Act
    const put = await rehearsal.putEvents([entry]);
    const result = put.Entries[0]?.Deliveries[0]?.result as { outcome: string; deploymentId: string };
    const again = await rehearsal.deliver(busEvent(put.Entries[0]?.EventId ?? '', entry));
    await rehearsal.putEvents([
      s3PutEntry({ bucket: 'artifacts', key: 'billing/notes.txt', size: 9, etag: 'x' }),
    ]);

    // Assess
    expect(result.outcome).toBe('started');
    expect((await local.ctx.store.get(result.deploymentId))?.revision).toBe('2');
    expect(again[0]?.result).toMatchObject({ outcome: 'duplicate' });
    expect(local.account.calls.filter((c) => c.operation === 'PublishVersion')).toHaveLength(1);
    expect(rehearsal.deadLetters).toMatchObject([{ reason: expect.stringMatching(/Could not unzip/) }]);
  });

  it('answers a malformed rehearsal request with 400 naming the field, and an unknown group with 404', async () => {
    // Act
    const rate = await routes(post('/local/groups/checkout/versions', { errorRate: 3, colour: 'red' }));
    const hook = await routes(post('/local/hooks/checkout-smoke', { behaviour: 'sometimes' }, 'PUT'));
    const detail = await routes(
      post('/events', { Entries: [{ Source: 'x', DetailType: 'y', Detail: '[1]' }] }),
    );
    const unknown = await routes(post('/local/groups/constructor/versions', {}));
    const method = await routes(post('/local/groups/checkout/versions', {}, 'DELETE'));
    const kind = await routes(post('/local/groups/storefront/versions', {}));

    // Assess
    expect(rate).toMatchObject({
      status: 400,
      body: { details: { problems: [{ path: 'errorRate' }, { path: 'colour' }] } },
    });
    expect(hook).toMatchObject({ status: 400, body: { details: { problems: [{ path: 'behaviour' }] } } });
    expect(detail).toMatchObject({
      status: 400,
      body: { details: { problems: [{ path: 'Entries[0].Detail' }] } },
    });
    expect(unknown?.status).toBe(404);
    expect(method?.status).toBe(405);
    expect(kind).toMatchObject({ status: 400, body: { details: { problems: [{ path: 'group' }] } } });
  });

  it('keeps what a restart finds and adds what a changed config declares', async () => {
    // Prepare
    const v2 = rehearsal.publishVersion('checkout', { errorRate: 0.1 }).version;
    rehearsal.setHook('checkout-smoke', 'fail');
    await local.close();
    const checkout = groups.groups.checkout;
    if (checkout?.kind !== 'lambda') throw new Error('checkout is a Lambda group');
    const search = {
      ...checkout,
      name: 'search',
      target: { functionName: 'search', alias: 'prod' },
      hooks: {},
      alarms: ['search-errors'],
    };
    const more = { groups: { ...groups.groups, search } };

    // Act
    clock = new StepClock();
    const reopened = await startLocal({
      groups: more,
      clock,
      dataDir,
      traffic: false,
      seed: (a) => seedAccount(a, more),
    });
    local = reopened;

    // Assess
    expect(reopened.account.lambda.versionCount('checkout')).toBe(Number(v2));
    expect(reopened.account.hookBehaviour('checkout-smoke')).toBe('fail');
    expect(reopened.account.aliasRouting('search', 'prod').version).toBe('1');
    expect(reopened.account.cloudwatch.alarmState('search-errors')).not.toBe('MISSING');
  });
});

describe('the local account file', () => {
  it('reports every problem with its path, and names that the config does not declare', () => {
    // Act
    const attempt = () =>
      parseLocalAccountFile(
        {
          groups: { checkout: { versions: [{ errorRate: 2 }], images: {} }, nope: {} },
          hooks: { 'checkout-smoke': 'maybe', 'other-hook': 'fail' },
          alarms: { both: { anyOf: ['checkout-errors', 'ghost'] } },
          colour: 'red',
        },
        config(),
      );

    // Assess
    expect(attempt).toThrowError(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.objectContaining({ path: 'groups.checkout.versions[0].errorRate' }),
          expect.objectContaining({ path: 'hooks.checkout-smoke' }),
          expect.objectContaining({ path: 'colour' }),
        ]),
      }),
    );
  });

  it('declares versions, hook behaviours, composite alarms and traffic up front', async () => {
    // Prepare
    const groups = config();
    const file = parseLocalAccountFile(
      {
        groups: {
          checkout: { rps: 10, versions: [{ errorRate: 0.4 }, {}] },
          storefront: { liveImage: 'acme/storefront:v1' },
        },
        hooks: { 'checkout-smoke': 'in-progress:2' },
        alarms: { 'checkout-any': { anyOf: ['checkout-errors', 'storefront-5xx'] } },
      },
      groups,
    );

    // Act
    const local = await startLocal({
      groups,
      clock: new StepClock(),
      traffic: false,
      seed: (a) => seedAccount(a, groups, file),
    });
    try {
      local.account.setAlarmState('checkout-errors', 'ALARM');

      // Assess
      expect(local.account.lambda.versionCount('checkout')).toBe(3);
      expect(local.account.lambda.versionProfile('checkout', '2')?.errorRate).toBe(0.4);
      expect(local.account.lambda.routes().find((r) => r.functionName === 'checkout')?.rps).toBe(10);
      expect(local.account.hookBehaviour('checkout-smoke')).toBe('in-progress:2');
      expect(await local.account.cloudwatch.states(['checkout-any'])).toEqual({ 'checkout-any': 'ALARM' });
    } finally {
      await local.close();
    }
  });
});

/** The event a target receives for a PutEvents entry given `id`: what a redelivery hands over again. */
function busEvent(id: string, entry: PutEventsEntry) {
  return {
    version: '0' as const,
    id,
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '000000000000',
    time: entry.Time ?? '2026-11-24T10:00:00Z',
    region: 'us-east-1',
    resources: entry.Resources ?? [],
    detail: JSON.parse(entry.Detail) as Record<string, unknown>,
  };
}

describe('the JSON Schema of the local account file', () => {
  it('is the one shipped next to the example, and accepts the example file', async () => {
    // Prepare
    const { readFileSync } = await import('node:fs');
    const { localAccountJsonSchema } = await import('../../local/account-file.ts');
    const { loadGroupConfigFile } = await import('../../bin/cli.ts');

    // Act
    const shipped: unknown = JSON.parse(readFileSync('stepshift.local.schema.json', 'utf8'));
    const example = () =>
      parseLocalAccountFile(
        JSON.parse(readFileSync('stepshift.local.json', 'utf8')),
        loadGroupConfigFile('stepshift.config.json'),
      );

    // Assess
    expect(shipped).toEqual(localAccountJsonSchema());
    expect(example).not.toThrow();
  });
});
