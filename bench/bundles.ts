/**
 * Each Lambda bundle as the construct builds it — one per handler file of `HANDLER_FILES`
 * (infra/functions.ts), esbuild with `BUNDLING`'s options: minified, Node 22, the locked AWS SDK bundled
 * from its ES modules — against issue 12's budget as docs/decisions/0004-aws-sdk-in-bundles.md restates
 * it: per bundle, **stepshift's code and its non-SDK dependencies ≤ 100 KiB** (aiming at 90, for
 * headroom) and **their module init ≤ 60 ms of CPU**, timed with every `@aws-sdk/*` import replaced by an
 * empty module. Each figure is printed beside its target.
 *
 * The sizes are by where each byte comes from (esbuild's metafile): the AWS SDK (with what only it pulls
 * in), the group config (bundled by `define`, resolved at synth as the construct bundles it), and the rest
 * — stepshift's code and its other dependencies, by package and by file. Every bundle is built three
 * ways, each in one esbuild run for all of them, and each build loaded `ROUNDS` times in a fresh Node
 * process (see `loadOnce`):
 * - deployed: as the construct builds it;
 * - without the SDK: every `@aws-sdk/*` import replaced by an empty module, to time the init of
 *   stepshift's code and its other dependencies alone;
 * - SDK from the runtime: `@aws-sdk/*` external and loaded from node_modules, as Lambda would load its
 *   own copy: the alternative decision 0004 weighs.
 *
 * Run alone with `npx tsx bench/bundles.ts` (`--files` lists every file of every bundle), or with the
 * other benches by `npm run bench`. `STEPSHIFT_BENCH_ROUNDS` sets how many loads each figure is the median
 * of (default 5).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile, type Plugin } from 'esbuild';
import { esbuildOptionsOf } from '../build/lambda.ts';
import { parseGroupConfigText } from '../functions/core/group-config.ts';
import { groupConfigToJson } from '../functions/core/groups.ts';
import { BUNDLING, HANDLER_FILES, type HandlerFile } from '../infra/functions.ts';

const OUT = join(process.cwd(), 'bench', '.out');

/** Issue 12, item 4, as decision 0004 restates it for stepshift's code; `aimKib` leaves headroom under it. */
export const TARGET = { kib: 100, aimKib: 90, initMs: 60 } as const;

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

/** How many times each build of each bundle is loaded; the figures are medians. */
const ROUNDS = Number(process.env.STEPSHIFT_BENCH_ROUNDS) || 5;
/** How many loads run at once: the CPU time judged is each process's own, so two at a time leave it be. */
const CONCURRENCY = 2;

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
async function loadOnce(file: string, call?: string): Promise<{ wall: number; cpu: number; call?: number }> {
  const then = call
    ? `;const s=performance.now();m[${JSON.stringify(call)}]();r.call=performance.now()-s`
    : '';
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '-e',
      `const t=performance.now(),c=process.cpuUsage();const m=require(${JSON.stringify(file)});const u=process.cpuUsage(c);const r={wall:performance.now()-t,cpu:(u.user+u.system)/1000}${then};console.log(JSON.stringify(r))`,
    ],
    { encoding: 'utf8', env: { ...process.env, STEPSHIFT_TABLE: 'bench', AWS_REGION: 'us-east-1' } },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

/** Runs `jobs`, `CONCURRENCY` at a time, in order. */
async function inTurns(jobs: (() => Promise<void>)[]): Promise<void> {
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const kib = (bytes: number) => bytes / 1024;

/** One build of one bundle: its file, its size, and its inputs' bytes (esbuild's metafile). */
interface Built {
  file: string;
  size: number;
  inputs: Map<string, number>;
}

/** One bundle's figures, in KiB and ms, against issue 12's budget. */
export interface BundleFigures {
  bundle: HandlerFile;
  /** The deployed bundle. */
  kib: number;
  /** The SDK's share of it, with the packages only the SDK pulls in. */
  sdkKib: number;
  /** The group config, bundled as a string (`define`). */
  configKib: number;
  /** stepshift's code and its dependencies other than the SDK, less the config: what the budget counts. */
  ownKib: number;
  /** What the bundle is made of, by package, in KiB ('esbuild' is its module glue). */
  parts: Map<string, number>;
  /** stepshift's own files, by minified KiB, largest first. */
  files: [string, number][];
  /** Cold init of the deployed bundle: medians of the wall time and of the loading process's CPU time. */
  init: { wall: number; cpu: number };
  /** Cold init of the bundle without the SDK: what the budget counts. */
  ownInit: { wall: number; cpu: number };
  runtimeSdk: { kib: number; init: { wall: number; cpu: number } };
  /** Whether the parts stepshift controls meet the budget decision 0004 restates: size and init (CPU). */
  met: { ownKib: boolean; ownInit: boolean };
}

/** Builds every bundle one way, in one esbuild run; `groupsJson` undefined: without the config. */
async function buildAll(key: BuildName, groupsJson: string | undefined): Promise<Map<HandlerFile, Built>> {
  const dir = join(OUT, `${key}${groupsJson === undefined ? '-no-config' : ''}`);
  const result = await build({
    ...esbuildOptionsOf(BUNDLING),
    sourcemap: false,
    entryPoints: Object.fromEntries(
      HANDLER_FILES.map((file) => [file.replace(/\.ts$/, ''), join('functions', 'handlers', file)]),
    ),
    outdir: dir,
    outExtension: { '.js': '.cjs' },
    external: [...BUILDS[key].external],
    plugins: [...BUILDS[key].plugins],
    define: { __STEPSHIFT_GROUPS__: groupsJson === undefined ? 'undefined' : JSON.stringify(groupsJson) },
    metafile: true,
    logLevel: 'silent',
  });
  const outputs: Metafile['outputs'] = result.metafile.outputs;
  return new Map(
    HANDLER_FILES.map((file) => {
      const path = join(dir, `${file.replace(/\.ts$/, '')}.cjs`);
      const [, output] = Object.entries(outputs).find(([out]) => path.endsWith(out)) ?? [];
      const inputs = new Map(
        Object.entries(output?.inputs ?? {})
          .filter(([, v]) => v.bytesInOutput > 0)
          .map(([input, v]) => [input, v.bytesInOutput]),
      );
      return [file, { file: path, size: statSync(path).size, inputs }];
    }),
  );
}

export async function main(): Promise<BundleFigures[]> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // The config as the construct bundles it: validated and resolved at synth (infra/functions.ts).
  const groupsJson = groupConfigToJson(parseGroupConfigText(readFileSync('stepshift.config.json', 'utf8')));
  const builds = {} as Record<BuildName, Map<HandlerFile, Built>>;
  for (const key of Object.keys(BUILDS) as BuildName[]) builds[key] = await buildAll(key, groupsJson);
  const withoutConfig = await buildAll('withoutSdk', undefined);

  // Loads in rounds over every build of every bundle, so that a busy moment of the machine falls on all
  // of them alike; then the first invocation's own work before any AWS call: reading the config.
  const loads = new Map<string, { wall: number[]; cpu: number[] }>();
  const jobs: (() => Promise<void>)[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const file of HANDLER_FILES) {
      for (const key of Object.keys(BUILDS) as BuildName[]) {
        jobs.push(async () => {
          const { wall, cpu } = await loadOnce(builds[key].get(file)?.file ?? '');
          const each = loads.get(`${file} ${key}`) ?? { wall: [], cpu: [] };
          each.wall.push(wall);
          each.cpu.push(cpu);
          loads.set(`${file} ${key}`, each);
        });
      }
    }
  }
  await inTurns(jobs);
  const config = await build({
    entryPoints: ['functions/handlers/context.ts'],
    outfile: join(OUT, 'config.cjs'),
    ...esbuildOptionsOf(BUNDLING),
    sourcemap: false,
    plugins: [withoutSdk],
    define: { __STEPSHIFT_GROUPS__: JSON.stringify(groupsJson) },
    logLevel: 'silent',
  }).then(() => join(OUT, 'config.cjs'));
  const configRead: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    configRead.push((await loadOnce(config, 'groupsFromEnvironment')).call ?? 0);
  }

  const init = (file: HandlerFile, key: BuildName) => {
    const each = loads.get(`${file} ${key}`) ?? { wall: [], cpu: [] };
    return { wall: median(each.wall), cpu: median(each.cpu) };
  };
  const figures = HANDLER_FILES.map((file): BundleFigures => {
    const deployed = builds.deployed.get(file);
    const own = builds.withoutSdk.get(file);
    if (!deployed || !own) throw new Error(`no build of ${file}`);
    // Whatever only the SDK pulls in (mnemonist, obliterator…) counts as the SDK's.
    const ownPackages = new Set([...own.inputs.keys()].map(packageOf));
    const parts = new Map<string, number>();
    for (const [input, bytes] of deployed.inputs) {
      const key = ownPackages.has(packageOf(input)) ? packageOf(input) : 'AWS SDK';
      parts.set(key, (parts.get(key) ?? 0) + kib(bytes));
    }
    const configKib = kib(own.size - (withoutConfig.get(file)?.size ?? own.size));
    parts.set('stepshift', (parts.get('stepshift') ?? 0) - configKib);
    parts.set('group config', configKib);
    parts.set('esbuild', kib(deployed.size) - [...parts.values()].reduce((a, b) => a + b, 0));
    const sdkKib = parts.get('AWS SDK') ?? 0;
    const ownKib = kib(deployed.size) - sdkKib - configKib - (parts.get('esbuild') ?? 0);
    // By file without the config, which `define` puts in the wiring's module.
    const files = [...(withoutConfig.get(file)?.inputs ?? own.inputs)]
      .filter(([input]) => packageOf(input) === 'stepshift')
      .map(([input, bytes]): [string, number] => [input.replace(/^functions\//, ''), kib(bytes)])
      .sort((a, b) => b[1] - a[1]);
    return {
      bundle: file,
      kib: kib(deployed.size),
      sdkKib,
      configKib,
      ownKib,
      parts,
      files,
      init: init(file, 'deployed'),
      ownInit: init(file, 'withoutSdk'),
      runtimeSdk: { kib: kib(builds.runtimeSdk.get(file)?.size ?? 0), init: init(file, 'runtimeSdk') },
      met: { ownKib: ownKib <= TARGET.kib, ownInit: init(file, 'withoutSdk').cpu <= TARGET.initMs },
    };
  });

  print(figures, median(configRead), process.argv.includes('--files'));
  return figures;
}

function print(figures: BundleFigures[], configReadMs: number, allFiles: boolean): void {
  const verdict = (value: number, target: number) => (value <= target ? 'met' : 'NOT met');
  const row = (label: string, value: string, target = '', met = '') =>
    `  ${label.padEnd(40)} ${value.padStart(26)}   ${target.padEnd(22)} ${met}`.trimEnd();
  const size = (k: number) => `${k.toFixed(1)} KiB`;
  const ms = ({ wall, cpu }: { wall: number; cpu: number }) =>
    `cpu ${cpu.toFixed(1)} ms (wall ${wall.toFixed(0)})`;
  const list = (entries: [string, number][]) => entries.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(' · ');
  console.log(
    `Lambda bundles, one per handler file (esbuild, minified, node22, the SDK bundled as deployed); init = a fresh
Node process loading the bundle, median of ${ROUNDS}, judged on the CPU time the process spent (wall time adds
whatever else the machine was doing). The budget (decision 0004): stepshift + its non-SDK dependencies
≤ ${TARGET.kib} KiB (aiming at ${TARGET.aimKib}) and their init ≤ ${TARGET.initMs} ms CPU without the SDK.`,
  );
  for (const f of figures) {
    console.log(`\n${f.bundle}`);
    console.log(`  made of: ${list([...f.parts].sort((a, b) => b[1] - a[1]))} KiB`);
    console.log(
      `  stepshift's files: ${list(allFiles ? f.files : f.files.slice(0, 6))}${allFiles ? '' : ' …'}`,
    );
    console.log(
      row(
        'stepshift + its non-SDK dependencies',
        size(f.ownKib),
        `≤ ${TARGET.kib} KiB (aim ${TARGET.aimKib})`,
        f.ownKib <= TARGET.aimKib ? 'met, within the aim' : verdict(f.ownKib, TARGET.kib),
      ),
    );
    console.log(
      row(
        '  their init (without the SDK)',
        ms(f.ownInit),
        `≤ ${TARGET.initMs} ms`,
        verdict(f.ownInit.cpu, TARGET.initMs),
      ),
    );
    console.log(
      row('whole bundle', size(f.kib), `(SDK ${f.sdkKib.toFixed(1)}, config ${f.configKib.toFixed(1)})`),
    );
    console.log(row('  its init', ms(f.init)));
    console.log(row('SDK from the runtime instead: size', size(f.runtimeSdk.kib)));
    console.log(row('  init (loading the SDK from node_modules)', ms(f.runtimeSdk.init)));
  }
  const cell = (s: string, n: number) => s.padStart(n);
  console.log(
    `\n${'bundle'.padEnd(20)} ${cell('stepshift KiB', 14)} ${cell('≤ 100 (90)', 11)} ${cell('init ms', 8)} ${cell('≤ 60', 8)} ${cell('whole KiB', 10)} ${cell('whole init ms', 14)}`,
  );
  for (const f of figures) {
    console.log(
      `${f.bundle.padEnd(20)} ${cell(f.ownKib.toFixed(1), 14)} ${cell(f.met.ownKib ? (f.ownKib <= TARGET.aimKib ? 'met' : 'met, >90') : 'NOT met', 11)} ${cell(f.ownInit.cpu.toFixed(1), 8)} ${cell(f.met.ownInit ? 'met' : 'NOT met', 8)} ${cell(f.kib.toFixed(1), 10)} ${cell(f.init.cpu.toFixed(1), 14)}`,
    );
  }
  console.log(
    `\nFirst invocation: reading the bundled group config (resolved at synth) takes ${configReadMs.toFixed(2)} ms (cold, median of ${ROUNDS}).` +
      '\nInit is module loading only: SDK clients are built on the first invocation and kept. With the SDK' +
      '\nfrom the runtime, init includes loading it from node_modules, as Lambda loads its own copy. On Lambda,' +
      '\na 512 MB function has about 0.3 vCPU, so its init takes longer than here: compare, do not predict.' +
      '\nThe whole-bundle targets cannot be met while a bundle carries the SDK: decision 0004 restates them for' +
      '\nstepshift + its non-SDK dependencies (docs/decisions/0004-aws-sdk-in-bundles.md).',
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
