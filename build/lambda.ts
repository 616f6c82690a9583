/**
 * The Lambda bundles: each handler file of `functions/handlers/` that the construct uses
 * (`HANDLER_FILES`), bundled on its own by esbuild with `BUNDLING`, into `<outdir>/<file>/index.js`. Each
 * reads the group config from a file beside it (build/lambda-config.ts), which the construct writes into
 * the function's asset at synth. `npm run build` builds them into `dist/lambda/` for the package; the
 * construct from the sources builds them into a temporary directory (infra/functions.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { BUNDLING, HANDLER_FILES, prebuiltDir } from '../infra/functions.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * `BUNDLING` (aws-cdk-lib's `NodejsFunction` bundling options, a vocabulary CDK users know) as esbuild
 * options, as NodejsFunction turns them into esbuild arguments (`--bundle --platform=node --target …
 * --outfile=…/index.js`, CommonJS unless `format` says otherwise, no externals when `bundleAwsSDK`). An
 * option this does not translate fails the build rather than being silently ignored.
 */
export function esbuildOptionsOf(bundling: typeof BUNDLING): BuildOptions {
  const { minify, sourceMap, sourcesContent, target, bundleAwsSDK, mainFields, ...rest } = bundling;
  const untranslated = Object.keys(rest);
  if (untranslated.length > 0)
    throw new Error(`build/lambda.ts does not translate BUNDLING.${untranslated.join(', BUNDLING.')} yet`);
  return {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    ...(target ? { target } : {}),
    minify: minify === true,
    sourcemap: sourceMap === true,
    // esbuild's default, as NodejsFunction's, is to include them.
    sourcesContent: sourcesContent !== false,
    external: bundleAwsSDK === true ? [] : ['@aws-sdk/*'],
    ...(mainFields ? { mainFields } : {}),
    logLevel: 'warning',
  };
}

/**
 * Builds every prebuilt bundle into `<outdir>/<file>/`; returns their directories. One esbuild run for
 * all of them: each entry is still a bundle of its own (no code splitting), but the sources they share,
 * the AWS SDK first, are read and parsed once.
 */
export async function buildLambdaBundles(outdir: string): Promise<string[]> {
  const options = esbuildOptionsOf(BUNDLING);
  await build({
    ...options,
    entryPoints: Object.fromEntries(
      HANDLER_FILES.map((file) => [
        join(relative(outdir, prebuiltDir(outdir, file)), 'index'),
        join(ROOT, 'functions', 'handlers', file),
      ]),
    ),
    outdir,
    inject: [join(ROOT, 'build', 'lambda-config.ts')],
  });
  // The package is "type": "module"; these are CommonJS, as Lambda loads them from an asset without one.
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  return HANDLER_FILES.map((file) => prebuiltDir(outdir, file));
}

// `node --import tsx build/lambda.ts <outdir>`: how the construct builds them from the sources (infra/functions.ts).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = process.argv[2];
  if (!outdir) throw new Error('usage: build/lambda.ts <outdir>');
  await buildLambdaBundles(outdir);
}
