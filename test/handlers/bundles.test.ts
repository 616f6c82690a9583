/**
 * What each Lambda bundle carries (issue 12, item 4: small bundles; `npm run bench` measures them): every
 * handler file of `HANDLER_FILES` is bundled on its own, and carries the code its function reaches and no
 * other function's — within the budget decision 0004 restates: stepshift's code and its non-SDK
 * dependencies ≤ 100 KiB minified.
 */
import { readdirSync } from 'node:fs';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { TARGET, withoutSdk } from '../../bench/bundles.ts';
import { esbuildOptionsOf } from '../../build/lambda.ts';
import { BUNDLING, HANDLER_FILES, type HandlerFile } from '../../infra/functions.ts';

/** The modules of functions/handlers/ that no function runs: the wiring, and what several handler files share. */
const SHARED = ['context.ts', 'tasks.ts', 'api-gateway.ts'];

/** Each input a bundle keeps anything of, with its minified bytes: the SDK left out, as decision 0004 counts. */
async function inputsOf(file: HandlerFile): Promise<Map<string, number>> {
  // As the construct bundles it (its options, translated for esbuild), the SDK left out, no config.
  const result = await build({
    ...esbuildOptionsOf(BUNDLING),
    entryPoints: [`functions/handlers/${file}`],
    sourcemap: false,
    write: false,
    plugins: [withoutSdk],
    define: { __STEPSHIFT_GROUPS__: 'undefined' },
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  return new Map(
    Object.entries(output?.inputs ?? {})
      .filter(([path, input]) => input.bytesInOutput > 0 && !path.startsWith('no-sdk:'))
      .map(([path, input]) => [path, input.bytesInOutput]),
  );
}

let bundles: Map<HandlerFile, Map<string, number>>;
beforeAll(async () => {
  bundles = new Map(await Promise.all(HANDLER_FILES.map(async (f) => [f, await inputsOf(f)] as const)));
}, 120_000);

const carries = (file: HandlerFile, path: string) =>
  [...(bundles.get(file)?.keys() ?? [])].some((input) => input.endsWith(path) || input.includes(path));
/** The bundles that carry `path`. */
const carriers = (path: string) => HANDLER_FILES.filter((file) => carries(file, path));

describe('the Lambda bundles', () => {
  it('bundle every handler file of functions/handlers/ but the modules they share', () => {
    // Act
    const files = readdirSync('functions/handlers').filter((f) => !SHARED.includes(f));

    // Assess
    expect([...files].sort()).toEqual([...HANDLER_FILES].sort());
  });

  it.each(HANDLER_FILES)('%s keeps stepshift and its non-SDK dependencies within the budget', (file) => {
    // Act
    const kib = [...(bundles.get(file)?.values() ?? [])].reduce((a, b) => a + b, 0) / 1024;

    // Assess
    expect(kib).toBeGreaterThan(10);
    expect(kib).toBeLessThanOrEqual(TARGET.kib);
  });

  it('carry zod/mini where they validate, never classic zod', () => {
    expect(carriers('node_modules/zod/v4/classic/')).toEqual([]);
    expect(carriers('node_modules/zod/v4/mini/').length).toBeGreaterThan(0);
  });

  it('carry no schema of the group config: the functions receive it resolved', () => {
    expect(carriers('functions/core/group-schema.ts')).toEqual([]);
    expect(carriers('functions/core/group-config.ts')).toEqual([]);
  });

  it.each([
    [
      'the deployment config schemas',
      'functions/core/configs.ts',
      ['api-start.ts', 'api-releases.ts', 'intake.ts'],
    ],
    ['the hook runner', 'functions/aws/lambda-hooks.ts', ['run-hooks.ts']],
    ['the execution history', 'functions/aws/execution-history.ts', ['api.ts']],
    ['the code publisher', 'functions/aws/lambda-artifacts.ts', ['intake.ts']],
    [
      'the ECS install',
      'functions/tasks/install.ts',
      ['install.ts', 'check-steady.ts', 'test-traffic.ts', 'scale-down-old.ts'],
    ],
    ['the API routes', 'functions/api/http.ts', ['api.ts', 'api-start.ts', 'api-releases.ts']],
    ['the start routes', 'functions/api/start-routes.ts', ['api-start.ts']],
    ['the release routes', 'functions/api/release-routes.ts', ['api-releases.ts']],
    ['the control routes', 'functions/api/control-routes.ts', ['api.ts']],
  ] as const)('carry %s only where a function reaches it', (_, path, where) => {
    expect(carriers(path)).toEqual([...where]);
  });
});
