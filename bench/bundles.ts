/**
 * Each Lambda bundle as the construct builds it (esbuild: minified, Node 22, AWS SDK external), with its
 * size, its largest inputs, and its cold init time: a fresh Node process loading the bundle, median of 5.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const OUT = join(process.cwd(), 'bench', '.out');
const ENTRIES = [
  ['tasks (the 11 task functions, Lambda and ECS)', 'functions/handlers/tasks.ts'],
  ['api', 'functions/handlers/api.ts'],
  ['events (Intake, AlarmIntake, ExecutionEnded)', 'functions/handlers/events.ts'],
] as const;

export async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const configText = readFileSync('stepshift.config.json', 'utf8');
  console.log('Lambda bundles (esbuild, minified, node22, @aws-sdk/* external as on the Node 22 runtime)\n');
  console.log(`${'bundle'.padEnd(76)} ${'KiB'.padStart(7)} ${'init ms'.padStart(8)}`);
  for (const [name, entry] of ENTRIES) {
    const outfile = join(OUT, `${entry.split('/').pop()?.replace('.ts', '')}.cjs`);
    const result = await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      external: ['@aws-sdk/*'],
      define: { __STEPSHIFT_GROUPS__: JSON.stringify(configText) },
      metafile: true,
      logLevel: 'silent',
    });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const out = execFileSync(
        process.execPath,
        [
          '-e',
          `const t=performance.now();require(${JSON.stringify(outfile)});console.log(performance.now()-t)`,
        ],
        { encoding: 'utf8', env: { ...process.env, STEPSHIFT_TABLE: 'bench', AWS_REGION: 'us-east-1' } },
      );
      times.push(Number(out.trim()));
    }
    times.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(76)} ${(statSync(outfile).size / 1024).toFixed(1).padStart(7)} ${(times[2] ?? 0).toFixed(1).padStart(8)}`,
    );
    const byPackage = new Map<string, number>();
    for (const [path, v] of Object.entries(
      result.metafile.outputs[Object.keys(result.metafile.outputs)[0] ?? '']?.inputs ?? {},
    )) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = m?.[1] ?? 'stepshift';
      byPackage.set(key, (byPackage.get(key) ?? 0) + v.bytesInOutput);
    }
    const largest = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 4);
    console.log(`    by package: ${largest.map(([p, b]) => `${p} ${(b / 1024).toFixed(0)} KiB`).join(', ')}`);
  }
  console.log('\nInit is module loading only: SDK clients are built on the first invocation and kept.');
}
