import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('npx cdk synth', () => {
  it('synthesizes the app from cdk.json offline, with no AWS credentials', () => {
    const out = mkdtempSync(join(tmpdir(), 'stepshift-synth-'));
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      CDK_DISABLE_VERSION_CHECK: '1',
    };
    const run = spawnSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', out], {
      encoding: 'utf8',
      env,
      timeout: 120_000,
    });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const template = JSON.parse(readFileSync(join(out, 'StepShift.template.json'), 'utf8'));
    expect(
      Object.values(template.Resources).some(
        (r) => (r as { Type: string }).Type === 'AWS::StepFunctions::StateMachine',
      ),
    ).toBe(true);
    expect(existsSync(join(out, 'validation-report.json'))).toBe(true);
  }, 150_000);
});
