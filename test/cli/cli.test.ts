import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../bin/cli.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('stepshift plan', () => {
  it('shows LambdaLinear10PercentEvery3Minutes as 10 steps, 27 minutes of bake before the last, ending at 100 %', async () => {
    const { code, out } = await run('plan', 'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes');
    expect(code).toBe(0);
    const rows = out.split('\n').filter((l) => /^\s+\d+\s+T\+/.test(l));
    expect(rows).toHaveLength(10);
    expect(rows[0]).toMatch(/T\+0s\s+10 %\s+3m\s+██░+$/);
    expect(rows[9]).toMatch(/T\+27m\s+100 %\s+—\s+█{20}$/);
    expect(out).toContain('10 steps, 27m of bake before the last, ending at 100 %.');
  });

  it('prints the schedule as JSON with --json', async () => {
    const { code, out } = await run('plan', 'LambdaCanary10Percent5Minutes', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({
      name: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      platform: 'lambda',
      config: { type: 'canary', percent: 10, intervalMinutes: 5 },
      steps: [
        { percent: 10, bakeSeconds: 300, atSeconds: 0 },
        { percent: 100, bakeSeconds: 0, atSeconds: 300 },
      ],
      totalSeconds: 300,
    });
  });

  it('plans a custom form given as JSON', async () => {
    const { code, out } = await run(
      'plan',
      '{"type":"steps","steps":[{"percent":1,"bakeSeconds":60},{"percent":100,"bakeSeconds":0}]}',
    );
    expect(code).toBe(0);
    expect(out).toContain('steps 1% → 100%');
  });

  it('lists the fourteen predefined configs', async () => {
    const { out } = await run('plan', '--list');
    expect(out.split('\n')).toHaveLength(14);
  });

  it.each([
    [['plan', 'Nope'], /config: unknown deployment config "Nope"/],
    [['plan', '{"type":'], /config is not valid JSON/],
    [['plan', '{"type":"canary","percent":100,"intervalMinutes":5}'], /config.percent: must be at most 99 %/],
    [['plan'], /give a config name or JSON, or --list, or --group/],
    [['bogus'], /^stepshift: unknown command 'bogus'/],
  ])('exits 2 with the message on stderr for %j', async (argv, message) => {
    const { code, err, out } = await run(...argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(out).toBe('');
  });
});

describe('stepshift plan --group', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepshift-plan-'));
  const file = join(dir, 'groups.json');
  writeFileSync(
    file,
    JSON.stringify({
      groups: {
        payments: {
          kind: 'lambda',
          target: { functionName: 'payments', alias: 'live' },
          deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
          analysis: [
            { name: 'errors', metric: 'errorRate', max: 0.02, relative: { tolerance: 0.5, slack: 0.005 } },
            { name: 'p99', metric: 'latencyP99', relative: { tolerance: 0.2 }, intervalSeconds: 120 },
          ],
        },
        orders: {
          kind: 'lambda',
          target: { functionName: 'orders', alias: 'live' },
          deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
        },
      },
    }),
  );

  it('plans the group’s config with its final bake, each check’s condition, and where the checks run', async () => {
    // Act
    const { code, out, err } = await run('plan', '--group', 'payments', '--config', file);

    // Assess
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const lines = out.split('\n');
    expect(lines[0]).toBe('group payments');
    expect(lines[1]).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes (lambda)');
    // The 100 % step bakes the longest interval, 2 minutes, before the final run.
    expect(out).toMatch(/^\s+2\s+T\+5m\s+100 %\s+2m\s+█{20}$/m);
    expect(out).toContain('Analysis: 2 checks');
    expect(out).toMatch(
      /^ {2}errors {2}errorRate {3}≤ 2\.00 % and ≤ baseline × 1\.5 \+ 0\.50 % {2}every 1m, ≥ 50 samples;/m,
    );
    expect(out).toMatch(/^ {2}p99 {5}latencyP99 {2}≤ baseline × 1\.2 {24}every 2m, ≥ 50 samples;/m);
    const where = lines.slice(lines.indexOf('Where they run:') + 1, lines.indexOf('Where they run:') + 7);
    expect(where).toEqual([
      '  step 1 at 10 %',
      '    T+1m … T+4m  during the bake: errors every 1m (4 runs), p99 every 2m (2 runs)',
      "    T+5m         at the bake's end, before the shift to 100 %: every check",
      '  step 2 at 100 %',
      '    T+6m         during the bake: errors every 1m (1 run)',
      '    T+7m         once at 100 %, before AfterAllowTraffic: every check, the baseline over the 2m before the first shift',
    ]);
    expect(out).toContain('The last step bakes 2m (the longest interval)');
  });

  it('includes the checks and their runs in --json', async () => {
    // Act
    const { code, out } = await run('plan', '--group', 'payments', '--config', file, '--json');

    // Assess
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json).toMatchObject({
      group: 'payments',
      name: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      steps: [
        { percent: 10, bakeSeconds: 300, atSeconds: 0 },
        { percent: 100, bakeSeconds: 120, atSeconds: 300 },
      ],
      totalSeconds: 420,
    });
    expect(json.analysis.checks[0]).toEqual({
      check: 'errors',
      metric: 'errorRate',
      condition: '≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %',
      minSamples: 50,
      intervalSeconds: 60,
      limits: { failure: 0, inconclusive: 3, error: 3 },
      onInconclusive: 'rollback',
      onError: 'rollback',
    });
    expect(json.analysis.runs).toEqual([
      {
        step: 1,
        percent: 10,
        atSeconds: 0,
        bakeSeconds: 300,
        interval: [
          { check: 'errors', everySeconds: 60, runs: 4, firstSeconds: 60, lastSeconds: 240 },
          { check: 'p99', everySeconds: 120, runs: 2, firstSeconds: 120, lastSeconds: 240 },
        ],
        end: { point: 'bake', atSeconds: 300 },
      },
      {
        step: 2,
        percent: 100,
        atSeconds: 300,
        bakeSeconds: 120,
        interval: [{ check: 'errors', everySeconds: 60, runs: 1, firstSeconds: 360, lastSeconds: 360 }],
        end: { point: 'final', atSeconds: 420 },
      },
    ]);
  });

  it('plans another config for the group’s platform, and says when a group has no checks', async () => {
    // Act
    const all = await run('plan', 'LambdaAllAtOnce', '--group', 'payments', '--config', file);
    const none = await run('plan', '--group', 'orders', '--config', file, '--json');
    const plain = await run('plan', '--group', 'orders', '--config', file);

    // Assess
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^\s+1\s+T\+0s\s+100 %\s+2m\s+█{20}$/m);
    expect(all.out).toContain('    T+2m  once at 100 %, before AfterAllowTraffic');
    expect(JSON.parse(none.out)).toMatchObject({
      group: 'orders',
      steps: [{ percent: 100, bakeSeconds: 0 }],
      analysis: { checks: [], runs: [] },
    });
    expect(plain.out).toContain('orders has no analysis checks: its alarms alone judge the revision.');
  });

  it.each([
    [
      ['--group', 'nope', '--config', file],
      /^stepshift: no group named "nope" in .*groups\.json; declared: payments, orders$/,
    ],
    [
      ['--group', 'payments', '--config', join(dir, 'missing.json')],
      /^stepshift: no config file at .*missing\.json$/,
    ],
    [['ECSAllAtOnce', '--group', 'payments', '--config', file], /config: .*ECSAllAtOnce/],
    [['--group', 'payments', '--list', '--config', file], /^stepshift: give --list or --group, not both$/],
    [
      ['LambdaAllAtOnce', '--config', file],
      /^stepshift: --config is the group config file of --group: give --group too$/,
    ],
  ])('exits 2 with the message on stderr for plan %j', async (argv, message) => {
    // Act
    const { code, err, out } = await run('plan', ...argv);

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(out).toBe('');
  });
});

describe('stepshift validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepshift-cli-'));

  it('accepts the example config', async () => {
    const { code, out } = await run('validate');
    expect(code).toBe(0);
    const declared = Object.keys(JSON.parse(readFileSync('stepshift.config.json', 'utf8')).groups).length;
    expect(out).toContain(`stepshift.config.json: ${declared} groups valid`);
  });

  it('reports all three mistakes of a file with their paths', async () => {
    const file = join(dir, 'three-mistakes.json');
    writeFileSync(
      file,
      JSON.stringify({
        groups: {
          api: {
            kind: 'lambda',
            target: { functionName: 'api', alias: 'live' },
            deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minute',
            hooks: { AfterInstall: ['check'] },
            alarms: 'api-errors',
          },
        },
      }),
    );
    const { code, err } = await run('validate', file);
    expect(code).toBe(2);
    expect(err).toContain('3 problems');
    expect(err).toMatch(
      /groups\.api\.deploymentConfig: unknown deployment config "CodeDeployDefault\.LambdaCanary10Percent5Minute"/,
    );
    expect(err).toMatch(
      /groups\.api\.hooks\.AfterInstall: "AfterInstall" is not a lifecycle event of lambda groups/,
    );
    expect(err).toMatch(/groups\.api\.alarms: must be a list of CloudWatch alarm names/);
  });

  it('says clearly when the file does not exist', async () => {
    const { code, err } = await run('validate', join(dir, 'missing.json'));
    expect(code).toBe(2);
    expect(err).toMatch(/no config file at .*missing\.json/);
  });
});

describe('the installed bin', () => {
  it('runs through its shim and sets the exit code', () => {
    const ok = execFileSync(process.execPath, ['bin/stepshift.js', 'plan', 'ECSAllAtOnce'], {
      encoding: 'utf8',
    });
    expect(ok).toContain('CodeDeployDefault.ECSAllAtOnce (ecs)');
    const bad = spawnSync(process.execPath, ['bin/stepshift.js', 'plan', 'Nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(
      /^stepshift: invalid deployment config: 1 problem\n {2}config: unknown deployment config "Nope"/,
    );
  });

  it('ends quietly, exit 0, when the reader of its output goes away (`stepshift schema | head -1`)', async () => {
    const child = spawn(process.execPath, ['bin/stepshift.js', 'schema'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the CLI writes a byte: its first write meets EPIPE, as after `head` exits.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
