/**
 * Each Lambda bundle as the construct builds it (esbuild: minified, Node 22, the locked AWS SDK bundled
 * from its ES modules, as `BUNDLING` in infra/functions.ts), against issue 12's budget: ≤ 100 KiB and
 * ≤ 60 ms of module init per bundle. Per bundle it prints what the bundle is made of (esbuild's
 * metafile, by package), its size and the AWS SDK's share of it, and its cold init — a fresh Node
 * process loading the bundle (see `loadOnce`) — each figure beside its target.
 *
 * The sizes are the deployed bundle's, by where each byte comes from (esbuild's metafile): the AWS SDK
 * (with what only it pulls in), the group config (bundled as a string by `define`), and the rest —
 * stepshift's own code and its other dependencies, the part docs/decisions/0004-aws-sdk-in-bundles.md
 * restates issue 12's budget to. Three builds of each bundle are loaded `ROUNDS` times each:
 * - deployed: as the construct builds it;
 * - without the SDK: every `@aws-sdk/*` import replaced by an empty module, to time the init of
 *   stepshift's code and its other dependencies alone;
 * - SDK from the runtime: `@aws-sdk/*` external and loaded from node_modules, as Lambda would load its
 *   own copy: the alternative decision 0004 weighs.
 *
 * Run alone with `npx tsx bench/bundles.ts`, or with the other benches by `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const OUT = join(process.cwd(), 'bench', '.out');
const ENTRIES = [
  ['tasks', 'the 11 task functions, Lambda and ECS', 'functions/handlers/tasks.ts'],
  ['api', 'the API', 'functions/handlers/api.ts'],
  ['events', 'Intake, AlarmIntake, ExecutionEnded', 'functions/handlers/events.ts'],
] as const;

/** Issue 12, item 4. */
export const TARGET = { kib: 100, initMs: 60 } as const;

/** Every `@aws-sdk/*` import becomes an empty module: nothing of the SDK is bundled or loaded. */
export const withoutSdk: Plugin = {
  name: 'without-sdk',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\// }, (args) => ({
      path: args.path,
      namespace: 'no-sdk',
      sideEffects: false,
    }));
    b.onLoad({ filter: /.*/, namespace: 'no-sdk' }, () => ({
      contents: 'module.exports = {};',
      loader: 'js',
    }));
  },
};

const BUILDS = {
  deployed: { external: [] as string[], plugins: [] as Plugin[] },
  withoutSdk: { external: [] as string[], plugins: [withoutSdk] },
  runtimeSdk: { external: ['@aws-sdk/*'], plugins: [] as Plugin[] },
} as const;
type BuildName = keyof typeof BUILDS;

/** How many times each bundle is loaded; the figures are medians. */
const ROUNDS = 9;

/** The package an input of the bundle comes from; the AWS SDK's own packages count as one. */
function packageOf(path: string): string {
  if (path.startsWith('no-sdk:')) return 'AWS SDK';
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'stepshift';
  return /^@(aws-sdk|smithy|aws-crypto|aws)\//.test(name) ? 'AWS SDK' : name;
}

/**
 * Loading `file` once in a fresh Node process: wall time, and the CPU time the process spent on it.
 * With `call`, also the time of calling that export once after loading (the work of a first invocation).
 */
function loadOnce(file: string, call?: string): { wall: number; cpu: number; call?: number } {
  const then = call
    ? `;const s=performance.now();m[${JSON.stringify(call)}]();r.call=performance.now()-s`
    : '';
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `const t=performance.now(),c=process.cpuUsage();const m=require(${JSON.stringify(file)});const u=process.cpuUsage(c);const r={wall:performance.now()-t,cpu:(u.user+u.system)/1000}${then};console.log(JSON.stringify(r))`,
    ],
    { encoding: 'utf8', env: { ...process.env, STEPSHIFT_TABLE: 'bench', AWS_REGION: 'us-east-1' } },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

interface Built {
  bundle: string;
  build: BuildName;
  file: string;
  size: number;
  byPackage: Map<string, number>;
  wall: number[];
  cpu: number[];
}

/** One bundle's figures, in KiB and ms, against issue 12's budget. */
export interface BundleFigures {
  bundle: string;
  /** The deployed bundle. */
  kib: number;
  /** The SDK's share of it, with the packages only the SDK pulls in. */
  sdkKib: number;
  /** The group config, bundled as a string (`define`). */
  configKib: number;
  /** stepshift's code and its dependencies other than the SDK, less the config. */
  ownKib: number;
  /** What the bundle is made of, by package, in KiB ('esbuild' is its module glue). */
  parts: Map<string, number>;
  /** Cold init of the deployed bundle: medians of the wall time and of the loading process's CPU time. */
  init: { wall: number; cpu: number };
  /** Cold init of the bundle without the SDK. */
  ownInit: { wall: number; cpu: number };
  runtimeSdk: { kib: number; init: { wall: number; cpu: number } };
  /** Whether the parts stepshift controls meet the budget decision 0004 restates: size and init (CPU). */
  met: { ownKib: boolean; ownInit: boolean };
}

async function bundle(name: string, entry: string, key: BuildName, configText: string | undefined) {
  const file = join(OUT, `${name}-${key}${configText === undefined ? '-no-config' : ''}.cjs`);
  const result = await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: [...BUILDS[key].external],
    plugins: [...BUILDS[key].plugins],
    define: { __STEPSHIFT_GROUPS__: configText === undefined ? 'undefined' : JSON.stringify(configText) },
    metafile: true,
    logLevel: 'silent',
  });
  const inputs: Metafile['outputs'][string]['inputs'] =
    result.metafile.outputs[Object.keys(result.metafile.outputs)[0] ?? '']?.inputs ?? {};
  const byPackage = new Map<string, number>();
  for (const [path, v] of Object.entries(inputs)) {
    byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + v.bytesInOutput);
  }
  return { file, size: statSync(file).size, byPackage };
}

export async function main(): Promise<BundleFigures[]> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const configText = readFileSync('stepshift.config.json', 'utf8');
  const built: Built[] = [];
  const withoutConfig = new Map<string, number>();
  for (const [name, , entry] of ENTRIES) {
    for (const key of Object.keys(BUILDS) as BuildName[]) {
      built.push({
        bundle: name,
        build: key,
        ...(await bundle(name, entry, key, configText)),
        wall: [],
        cpu: [],
      });
    }
    withoutConfig.set(name, (await bundle(name, entry, 'withoutSdk', undefined)).size);
  }
  // The first invocation's own work before any AWS call: parsing and validating the bundled config.
  const config = await bundle('config', 'functions/handlers/context.ts', 'withoutSdk', configText);
  const configParse: number[] = [];
  // Rounds over every bundle in turn, so that a busy moment of the machine falls on all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of built) {
      const { wall, cpu } = loadOnce(b.file);
      b.wall.push(wall);
      b.cpu.push(cpu);
    }
    configParse.push(loadOnce(config.file, 'groupsFromEnvironment').call ?? 0);
  }

  const kib = (bytes: number) => bytes / 1024;
  const of = (bundle: string, key: BuildName) => {
    const b = built.find((x) => x.bundle === bundle && x.build === key);
    if (!b) throw new Error(`no ${key} build of ${bundle}`);
    return b;
  };
  const init = (b: Built) => ({ wall: median(b.wall), cpu: median(b.cpu) });
  const figures: BundleFigures[] = ENTRIES.map(([name]) => {
    const deployed = of(name, 'deployed');
    const own = of(name, 'withoutSdk');
    const runtime = of(name, 'runtimeSdk');
    // Whatever only the SDK pulls in (mnemonist, obliterator…) counts as the SDK's.
    const parts = new Map<string, number>();
    for (const [pkg, bytes] of deployed.byPackage) {
      const key = own.byPackage.has(pkg) ? pkg : 'AWS SDK';
      parts.set(key, (parts.get(key) ?? 0) + kib(bytes));
    }
    const configKib = kib(own.size - (withoutConfig.get(name) ?? own.size));
    parts.set('stepshift', (parts.get('stepshift') ?? 0) - configKib);
    parts.set('group config', configKib);
    parts.set('esbuild', kib(deployed.size) - [...parts.values()].reduce((a, b) => a + b, 0));
    const sdkKib = parts.get('AWS SDK') ?? 0;
    const ownKib = kib(deployed.size) - sdkKib - configKib - (parts.get('esbuild') ?? 0);
    return {
      bundle: name,
      kib: kib(deployed.size),
      sdkKib,
      configKib,
      ownKib,
      parts,
      init: init(deployed),
      ownInit: init(own),
      runtimeSdk: { kib: kib(runtime.size), init: init(runtime) },
      met: { ownKib: ownKib <= TARGET.kib, ownInit: init(own).cpu <= TARGET.initMs },
    };
  });

  const verdict = (value: number, target: number) => (value <= target ? 'met' : 'NOT met');
  const row = (label: string, value: string, target = '', met = '') =>
    `  ${label.padEnd(42)} ${value.padStart(26)}   ${target.padEnd(10)} ${met}`.trimEnd();
  const size = (k: number) => `${k.toFixed(1)} KiB`;
  const ms = ({ wall, cpu }: { wall: number; cpu: number }) =>
    `cpu ${cpu.toFixed(1)} ms (wall ${wall.toFixed(0)})`;
  console.log(
    'Lambda bundles (esbuild, minified, node22, the SDK bundled as deployed); init = a fresh Node process',
  );
  console.log(
    `loading the bundle, median of ${ROUNDS}, judged on the CPU time the process spent (wall time adds whatever else the machine was doing)`,
  );
  for (const f of figures) {
    const [, what] = ENTRIES.find(([name]) => name === f.bundle) ?? [];
    console.log(`\n${f.bundle} (${what})`);
    console.log(
      `  made of: ${[...f.parts]
        .sort((a, b) => b[1] - a[1])
        .map(([pkg, k]) => `${pkg} ${k.toFixed(1)}`)
        .join(' · ')} KiB`,
    );
    console.log(row('size, whole bundle', size(f.kib), `≤ ${TARGET.kib} KiB`, verdict(f.kib, TARGET.kib)));
    console.log(row('  of which the AWS SDK', size(f.sdkKib)));
    console.log(row('  of which the group config (define)', size(f.configKib)));
    console.log(
      row(
        '  stepshift + its non-SDK dependencies',
        size(f.ownKib),
        `≤ ${TARGET.kib} KiB`,
        verdict(f.ownKib, TARGET.kib),
      ),
    );
    console.log(
      row('init, whole bundle', ms(f.init), `≤ ${TARGET.initMs} ms`, verdict(f.init.cpu, TARGET.initMs)),
    );
    console.log(
      row('  without the SDK', ms(f.ownInit), `≤ ${TARGET.initMs} ms`, verdict(f.ownInit.cpu, TARGET.initMs)),
    );
    console.log(row('SDK from the runtime instead: size', size(f.runtimeSdk.kib)));
    console.log(row('  init (loading the SDK from node_modules)', ms(f.runtimeSdk.init)));
  }
  console.log(
    `\nFirst invocation: parsing and validating the bundled group config takes ${median(configParse).toFixed(1)} ms (cold, median of ${ROUNDS}).` +
      '\nInit is module loading only: SDK clients are built on the first invocation and kept. With the SDK' +
      '\nfrom the runtime, init includes loading it from node_modules, as Lambda loads its own copy. On Lambda,' +
      '\na 512 MB function has about 0.3 vCPU, so its init takes longer than here: compare, do not predict.' +
      '\nThe whole-bundle targets cannot be met while a bundle carries the SDK: decision 0004 restates them for' +
      '\nstepshift + its non-SDK dependencies (docs/decisions/0004-aws-sdk-in-bundles.md).',
  );
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
