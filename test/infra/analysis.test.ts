/**
 * The AWS side of canary analysis (infra/analysis.ts, infra/grants.ts): with a group that declares
 * checks, an Analyze function on a one-minute schedule, and GetMetricData granted to exactly the three
 * functions that run checks; without one, none of it. cdk-nag stays clean either way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FnName } from '../../infra/functions.ts';
import { raw, synth } from './synth.ts';

/** The infra tests' config, with checks on the orders group. */
const withChecks = {
  groups: {
    ...raw.groups,
    orders: {
      ...raw.groups.orders,
      analysis: [
        { name: 'errors', metric: 'errorRate', relative: { tolerance: 0.5, slack: 0.005 } },
        { name: 'p99', metric: 'latencyP99', max: 800 },
      ],
    },
  },
};

let built: ReturnType<typeof synth>;
beforeAll(() => {
  built = synth('ERROR', withChecks);
}, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties, read field by field in assertions
type Props = Record<string, any>;
const resources = (type: string) =>
  Object.entries(built.template.findResources(type)) as [string, { Properties: Props }][];

/** The logical ids of the functions whose role may call `action`, and the resources it names. */
function grantsOf(action: string): { roles: string[]; resources: unknown[] } {
  const policies = resources('AWS::IAM::Policy').filter(([, p]) =>
    p.Properties.PolicyDocument.Statement.some((s: Props) => [s.Action].flat().includes(action)),
  );
  return {
    roles: policies.flatMap(([, p]) => p.Properties.Roles.map((r: { Ref: string }) => r.Ref)).sort(),
    resources: policies.flatMap(([, p]) =>
      p.Properties.PolicyDocument.Statement.filter((s: Props) => [s.Action].flat().includes(action)).flatMap(
        (s: Props) => [s.Resource].flat(),
      ),
    ),
  };
}

function roleOf(fn: FnName): string {
  const role = built.stepshift.functions[fn]?.role?.node.defaultChild as unknown as
    | { logicalId: string }
    | undefined;
  if (!role) throw new Error(`${fn} has no role`);
  return built.stack.resolve(role.logicalId) as string;
}

describe('canary analysis in the stack', () => {
  it('runs the Analyze function every minute from a scheduled rule', () => {
    const ids = resources('AWS::Lambda::Function')
      .filter(([, f]) => String(f.Properties.Handler).endsWith('analyzeBakesHandler'))
      .map(([id]) => id);
    expect(ids).toHaveLength(1);
    const id = String(ids[0]);
    expect(id).toMatch(/^StepShiftAnalyzeFunction/);
    const rules = resources('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.[1].Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [id, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        },
      ],
    });
  });

  it('grants GetMetricData to the three functions that run checks, and to no other', () => {
    const { roles, resources: on } = grantsOf('cloudwatch:GetMetricData');
    expect(roles).toEqual([roleOf('Analyze'), roleOf('RunHooks'), roleOf('ShiftTraffic')].sort());
    expect(new Set(on)).toEqual(new Set(['*']));
  });

  it('lets Analyze end a bake (SendTaskFailure), as the alarm path, the API and the release path may', () => {
    expect(grantsOf('states:SendTaskFailure').roles).toEqual(
      [
        'Analyze',
        'Api',
        'ApiStart',
        'ApiReleases',
        'AlarmIntake',
        'Bake',
        'RollBack',
        'ExecutionEnded',
        'Release',
      ]
        .map((fn) => roleOf(fn as FnName))
        .sort(),
    );
  });

  it('synthesizes with zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const report = JSON.parse(readFileSync(join(built.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations?: unknown[] }) => r.violations ?? [])).toEqual([]);
  });
});
