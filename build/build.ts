/**
 * `npm run build` (and `prepack`): the package in `dist/`.
 *
 * - `dist/js/`: the CLI (`stepshift.js`, the bin's target) and the package's entry points (`cdk.js`,
 *   `config.js`, `api.js`), bundled by esbuild with code splitting, so that the CLI loads a few files
 *   instead of hundreds of modules, and loads `local` mode, the console proxy and the AWS SDK only for the
 *   commands that use them. zod, commander and jsonc-parser are inlined; every other dependency is
 *   imported from `node_modules` (aws-cdk-lib and constructs must be the app's own copies).
 * - `dist/types/`: declarations of the entry points (`tsc`, `tsconfig.build.json`).
 * - `dist/lambda/<file>/index.js`: the prebuilt Lambda bundles the construct deploys (build/lambda.ts).
 * - the files the code reads beside itself, at the same relative paths as in the sources: the ASL
 *   (`dist/statemachines/`), local mode's example config and account file (`dist/`), and the operator
 *   console (`dist/console/`: `serve.js`, and the page it serves, prebuilt in `page/`).
 *
 * Every module in `dist/js/` is one directory below `dist/`, as each source module is one below the
 * repository root, so `new URL('../statemachines/…', import.meta.url)` finds the same file in both.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { bundleConsole } from '../console/serve.ts';
import { buildLambdaBundles } from './lambda.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');

/** Dependencies bundled into `dist/js/` rather than imported from node_modules: what the CLI loads at start. */
const INLINED = new Set(['zod', 'commander', 'jsonc-parser']);

/**
 * The AWS SDK's packages declare `"sideEffects": false`; said to esbuild for them as external imports,
 * a module that imports an SDK client it does not use (`infra/` reads `ENV` from the handlers' context)
 * does not load the SDK: synthesizing the construct would otherwise load nine clients for nothing.
 */
const sdkWithoutSideEffects: Plugin = {
  name: 'sdk-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /^@(aws-sdk|smithy|aws-crypto)\// }, (args) => ({
      path: args.path,
      external: true,
      sideEffects: false,
    }));
  },
};

/**
 * The console's server stays a module of its own, `dist/console/serve.js`: it serves the page it finds
 * prebuilt beside itself (`buildConsole`).
 */
const consoleServerApart: Plugin = {
  name: 'console-server-apart',
  setup(b) {
    b.onResolve({ filter: /\/console\/serve\.ts$/ }, () => ({ path: '../console/serve.js', external: true }));
  },
};

/** How both builds into `dist/js/` bundle. */
function jsOptions(outdir: string): BuildOptions {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return {
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // jsonc-parser's `main` is a UMD build esbuild cannot follow (docs/decisions/0004).
    mainFields: ['module', 'main'],
    external: Object.keys(pkg.dependencies).filter((name) => !INLINED.has(name)),
    plugins: [consoleServerApart, sdkWithoutSideEffects],
    // commander is CommonJS: its require() of Node's modules needs a require in an ES module.
    banner: {
      js: "import { createRequire as __stepshiftRequire } from 'node:module';\nconst require = __stepshiftRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}

/**
 * The CLI, `<outdir>/stepshift.js` and its chunks (`cli-*.js`); the bin runs it. Its chunks are its own:
 * shared with the library's, one would carry what local mode needs (the AWS SDK's clients) into
 * `stepshift/cdk`. bench/cli-start.ts builds it too.
 */
export async function buildCli(outdir: string): Promise<void> {
  // The shebang comes from bin/stepshift.ts; esbuild keeps it on the entry.
  await build({
    ...jsOptions(outdir),
    entryPoints: { stepshift: join(ROOT, 'bin', 'stepshift.ts') },
    chunkNames: 'cli-[hash]',
  });
}

/** The package's entry points, `<outdir>/{cdk,config,api}.js`, sharing their chunks (one copy of each class). */
async function buildLibrary(outdir: string): Promise<void> {
  await build({
    ...jsOptions(outdir),
    entryPoints: {
      cdk: join(ROOT, 'exports', 'cdk.ts'),
      config: join(ROOT, 'exports', 'config.ts'),
      api: join(ROOT, 'exports', 'api.ts'),
    },
    chunkNames: 'lib-[hash]',
  });
}

/**
 * The console's server, `dist/console/serve.js`, and its page prebuilt beside it in `page/` (which the
 * server serves when it finds it): the page's sources import from `functions/`, which the package does
 * not ship.
 */
async function buildConsole(): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'console', 'serve.ts')],
    outfile: join(DIST, 'console', 'serve.js'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  const page = await bundleConsole();
  const dir = join(DIST, 'console', 'page');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), page.html);
  writeFileSync(join(dir, 'app.js'), page.js);
  writeFileSync(join(dir, 'app.css'), page.css);
}

function copyData(): void {
  cpSync(join(ROOT, 'statemachines'), join(DIST, 'statemachines'), { recursive: true });
  for (const file of ['stepshift.config.json', 'stepshift.local.json'])
    cpSync(join(ROOT, file), join(DIST, file));
}

/**
 * The declarations, with each relative `.ts` specifier as `.js`: the sources import with `.ts`
 * extensions (`allowImportingTsExtensions`), which tsc keeps in what it declares, and which an app's
 * TypeScript would not resolve.
 */
async function buildTypes(): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(
    (e: { stdout?: string }) => {
      throw new Error(`tsc -p tsconfig.build.json failed:\n${e.stdout ?? String(e)}`);
    },
  );
  for (const file of walk(join(DIST, 'types'))) {
    if (!file.endsWith('.d.ts')) continue;
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(/(['"])(\.\.?\/[^'"]*?)\.ts\1/g, '$1$2.js$1');
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

export async function buildPackage(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST);
  await Promise.all([
    buildCli(join(DIST, 'js')),
    buildLibrary(join(DIST, 'js')),
    buildConsole(),
    buildLambdaBundles(join(DIST, 'lambda')),
    buildTypes(),
  ]);
  copyData();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  await buildPackage();
  console.log(
    `built ${relative(process.cwd(), DIST) || DIST} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
