/**
 * The package's entry points as sources (`exports/`, compiled into `dist/js/` by build/build.ts), and
 * the translation of the construct's bundling options for the prebuilt Lambda bundles. The packed
 * package itself is tested by pack-synth.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { esbuildOptionsOf } from '../../build/lambda.ts';
import * as api from '../../exports/api.ts';
import * as cdk from '../../exports/cdk.ts';
import * as config from '../../exports/config.ts';
import { BUNDLING } from '../../infra/functions.ts';

describe('the entry points', () => {
  it('stepshift/cdk: the construct', () => {
    expect(typeof cdk.StepShift).toBe('function');
    expect(cdk.METRICS_NAMESPACE).toBe('StepShift');
  });

  it('stepshift/config: parses a config file, and plans a deployment config', () => {
    const parsed = config.parseGroupConfigText(readFileSync('stepshift.config.json', 'utf8'));
    expect(Object.keys(parsed.groups)).toContain('orders-api');
    const resolved = config.resolveConfig('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    expect(config.plan(resolved.config).steps.map((s) => s.percent)).toEqual([10, 100]);
    expect(() => config.parseGroupConfig({ groups: { x: { kind: 'nope' } } })).toThrow(
      config.ValidationError,
    );
  });

  it('stepshift/api: a client for the API', () => {
    expect(api.createApiClient('http://127.0.0.1:4477').url).toBe('http://127.0.0.1:4477');
    expect(new api.ApiError(404, { error: 'NotFound', message: 'no deployment d-1' })).toBeInstanceOf(Error);
  });
});

describe('the prebuilt Lambda bundles', () => {
  it('are built with BUNDLING translated as NodejsFunction translates it', () => {
    expect(esbuildOptionsOf(BUNDLING)).toEqual({
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      external: [],
      mainFields: ['module', 'main'],
      logLevel: 'warning',
    });
  });

  it('refuse a bundling option they do not translate', () => {
    expect(() => esbuildOptionsOf({ ...BUNDLING, keepNames: true })).toThrow(/BUNDLING\.keepNames/);
  });
});
