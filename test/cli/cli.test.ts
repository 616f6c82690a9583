import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
    [['plan'], /give a config name or JSON, or --list/],
    [['bogus'], /^stepshift: unknown command 'bogus'/],
  ])('exits 2 with the message on stderr for %j', async (argv, message) => {
    const { code, err, out } = await run(...argv);
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
    expect(out).toContain('stepshift.config.json: 3 groups valid');
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
