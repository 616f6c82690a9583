import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
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
      // The app bundles the handlers from the sources, as `cdk deploy` from this repository does, even
      // where the run's prebuilt bundles are named (infra/functions.ts's PREBUILT_ENV).
      STEPSHIFT_LAMBDA_BUNDLES: '',
      // Without CDK's built-in CloudFormation validation, whose rules engine takes about 6 s to start:
      // here it could only warn (without a feature flag the app does not set, it fails no synthesis).
      // The construct's template is held to zero findings by stack.test.ts and pack-synth.test.ts.
      CDK_VALIDATION: 'false',
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
    // Each function's asset: its bundle, its source map and the config resolved at synth beside them.
    const functions = Object.values(template.Resources).filter(
      (r) => (r as { Type: string }).Type === 'AWS::Lambda::Function',
    ) as { Metadata?: Record<string, string>; Properties: { Handler?: string } }[];
    const bundled = functions.filter((f) => f.Metadata?.['aws:asset:path']?.startsWith('asset.'));
    expect(bundled.length).toBeGreaterThanOrEqual(19);
    for (const f of bundled) {
      const asset = join(out, f.Metadata?.['aws:asset:path'] ?? '');
      expect(readdirSync(asset).sort()).toEqual(['index.js', 'index.js.map', 'stepshift.groups.json']);
      expect(f.Properties.Handler).toMatch(/^index\./);
    }
    const groups = JSON.parse(
      readFileSync(
        join(out, bundled[0]?.Metadata?.['aws:asset:path'] ?? '', 'stepshift.groups.json'),
        'utf8',
      ),
    );
    expect(Object.keys(groups.groups)).toContain('orders-api');
  }, 150_000);
});
