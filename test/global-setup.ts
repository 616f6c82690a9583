/**
 * Runs once before the test files: bundles the Lambda handlers as `npm run build` does (build/lambda.ts)
 * into a temporary directory, which the tests that synthesize a stack in their own process hand to the
 * construct (`useRunBundles`). Without it each of those syntheses runs esbuild over the handlers and the
 * AWS SDK again, about 4 s a stack. `cdk synth` from `cdk.json` (synth-cli.test.ts) and the packed
 * package (pack-synth.test.ts) still bundle their own way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildLambdaBundles } from '../build/lambda.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory of the Lambda bundles built for this run, laid out as `dist/lambda/`. */
    lambdaBundles: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'stepshift-test-bundles-'));
  await buildLambdaBundles(dir);
  project.provide('lambdaBundles', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
