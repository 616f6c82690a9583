/**
 * Runs once before the test files: bundles the Lambda handlers as `npm run build` does (build/lambda.ts)
 * into a temporary directory, which the tests that synthesize a stack in their own process hand to the
 * construct (`useRunBundles`). Without it each of those syntheses runs esbuild over the handlers and the
 * AWS SDK again, about 4 s a stack. `cdk synth` from `cdk.json` (synth-cli.test.ts) and the packed
 * package (pack-synth.test.ts) still bundle their own way.
 *
 * The bundling is not awaited here: the files that need no bundle (the package, the browser, `cdk synth`
 * start first) start at once, and `useRunBundles` waits for the `ready` file (or `failed`, with the error).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildLambdaBundles } from '../build/lambda.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory of this run's Lambda bundles: `lambda/`, laid out as `dist/lambda/`, and `ready` or `failed`. */
    lambdaBundles: string;
  }
}

export default function setup(project: TestProject): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stepshift-test-bundles-'));
  project.provide('lambdaBundles', dir);
  const built = buildLambdaBundles(join(dir, 'lambda')).then(
    () => writeFileSync(join(dir, 'ready'), ''),
    (e: unknown) =>
      writeFileSync(join(dir, 'failed'), e instanceof Error ? (e.stack ?? e.message) : String(e)),
  );
  return async () => {
    await built;
    rmSync(dir, { recursive: true, force: true });
  };
}
