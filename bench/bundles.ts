/**
 * Each Lambda bundle as the construct builds it (esbuild: minified, Node 22, the locked AWS SDK bundled
 * from its ES modules, as `BUNDLING` in infra/functions.ts), with its size, the AWS SDK's share of it,
 * its largest inputs, and its cold init time: a fresh Node process loading the bundle (see `loadOnce`).
 * Beside it, the same bundle with the SDK left to the Lambda runtime (`@aws-sdk/*` external, loaded
 * from node_modules here), the alternative docs/decisions/0004-aws-sdk-in-bundles.md weighs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';

const OUT = join(process.cwd(), 'bench', '.out');
const ENTRIES = [
  ['tasks (the 11 task functions, Lambda and ECS)', 'functions/handlers/tasks.ts'],
  ['api', 'functions/handlers/api.ts'],
  ['events (Intake, AlarmIntake, ExecutionEnded)', 'functions/handlers/events.ts'],
] as const;
const MODES = {
  runtime: { label: 'SDK from the runtime', external: ['@aws-sdk/*'], mainFields: ['module', 'main'] },
  deployed: { label: 'SDK bundled (deployed)', external: [] as string[], mainFields: ['module', 'main'] },
} as const;
/** How many times each bundle is loaded; the figures are medians. */
const ROUNDS = 9;

/** The package an input of the bundle comes from; the AWS SDK's own packages count as one. */
function packageOf(path: string): string {
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'stepshift';
  return /^@(aws-sdk|smithy|aws-crypto)\//.test(name) ? 'AWS SDK' : name;
}

/** Loading `file` once in a fresh Node process: wall time, and the CPU time the process spent on it. */
function loadOnce(file: string): { wall: number; cpu: number } {
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `const t=performance.now(),c=process.cpuUsage();require(${JSON.stringify(file)});const u=process.cpuUsage(c);console.log(JSON.stringify({wall:performance.now()-t,cpu:(u.user+u.system)/1000}))`,
    ],
    { encoding: 'utf8', env: { ...process.env, STEPSHIFT_TABLE: 'bench', AWS_REGION: 'us-east-1' } },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

interface Built {
  name: string;
  mode: keyof typeof MODES;
  file: string;
  size: number;
  byPackage: Map<string, number>;
  wall: number[];
  cpu: number[];
}

export async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const configText = readFileSync('stepshift.config.json', 'utf8');
  const built: Built[] = [];
  for (const [name, entry] of ENTRIES) {
    for (const [key, mode] of Object.entries(MODES) as [
      keyof typeof MODES,
      (typeof MODES)[keyof typeof MODES],
    ][]) {
      const file = join(OUT, `${entry.split('/').pop()?.replace('.ts', '')}-${key}.cjs`);
      const result = await build({
        entryPoints: [entry],
        outfile: file,
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        external: [...mode.external],
        mainFields: [...mode.mainFields],
        define: { __STEPSHIFT_GROUPS__: JSON.stringify(configText) },
        metafile: true,
        logLevel: 'silent',
      });
      const inputs: Metafile['outputs'][string]['inputs'] =
        result.metafile.outputs[Object.keys(result.metafile.outputs)[0] ?? '']?.inputs ?? {};
      const byPackage = new Map<string, number>();
      for (const [path, v] of Object.entries(inputs)) {
        byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + v.bytesInOutput);
      }
      built.push({ name, mode: key, file, size: statSync(file).size, byPackage, wall: [], cpu: [] });
    }
  }
  // Rounds over every bundle in turn, so that a busy moment of the machine falls on all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of built) {
      const { wall, cpu } = loadOnce(b.file);
      b.wall.push(wall);
      b.cpu.push(cpu);
    }
  }

  const kib = (bytes: number) => (bytes / 1024).toFixed(1).padStart(7);
  console.log(
    `Lambda bundles (esbuild, minified, node22); init = a fresh Node process loading the bundle, median of ${ROUNDS}\n`,
  );
  console.log(
    `${'bundle'.padEnd(48)} ${'SDK'.padEnd(24)} ${'KiB'.padStart(7)} ${'+SDK'.padStart(7)} ${'init ms'.padStart(8)} ${'cpu ms'.padStart(7)}`,
  );
  for (const b of built) {
    const withoutSdk = built.find((o) => o.name === b.name && o.mode === 'runtime')?.size ?? 0;
    // What carrying the SDK adds: its packages and the few they alone pull in (bowser, mnemonist…).
    const added = b.mode === 'runtime' ? '' : kib(b.size - withoutSdk);
    console.log(
      `${(b.mode === 'runtime' ? b.name : '').padEnd(48)} ${MODES[b.mode].label.padEnd(24)} ${kib(b.size)} ${added.padStart(7)} ${median(b.wall).toFixed(1).padStart(8)} ${median(b.cpu).toFixed(1).padStart(7)}`,
    );
    if (b.mode === 'deployed') {
      const largest = [...b.byPackage].sort((x, y) => y[1] - x[1]).slice(0, 4);
      console.log(
        `    by package: ${largest.map(([p, n]) => `${p} ${(n / 1024).toFixed(0)} KiB`).join(', ')}`,
      );
    }
  }
  console.log(
    '\nInit is module loading only (SDK clients are built on the first invocation and kept). With the SDK' +
      '\nfrom the runtime, init includes loading the SDK from node_modules, as Lambda loads its own copy.',
  );
}
