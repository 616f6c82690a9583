/**
 * The prebuilt Lambda bundles of the package: each handler file of `functions/handlers/` that the
 * construct uses (`HANDLER_FILES`), bundled on its own by esbuild with the options the construct gives
 * `NodejsFunction` from the sources (`BUNDLING`), into `dist/lambda/<file>/index.js`. The one difference is
 * the group config: the sources' bundles get it through `define`, these read it from a file beside them
 * (build/lambda-config.ts), because they are built before anyone has a config.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { BUNDLING, HANDLER_FILES, prebuiltDir } from '../infra/functions.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * `BUNDLING` as esbuild options, as aws-cdk-lib's NodejsFunction turns its bundling options into esbuild
 * arguments (`--bundle --platform=node --target … --outfile=…/index.js`, CommonJS unless `format`
 * says otherwise, no externals when `bundleAwsSDK`). An option this does not translate fails the build,
 * so that the prebuilt bundles cannot silently differ from the ones built from the sources.
 */
export function esbuildOptionsOf(bundling: typeof BUNDLING): BuildOptions {
  const { minify, sourceMap, target, bundleAwsSDK, mainFields, ...rest } = bundling;
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
