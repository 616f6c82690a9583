/**
 * How long the compiled CLI takes, start to exit, for the two commands issue 12 item 2 names:
 * `stepshift plan CodeDeployDefault.LambdaCanary10Percent5Minutes` and `stepshift --help`, against its
 * 300 ms target. The CLI is built as `npm run build` builds `dist/js/` (build/build.ts `buildCli`), into
 * bench/.out/, and run as the bin runs it: a fresh `node` process each time. Each command runs `ROUNDS`
 * times, in rounds over both and over a bare `node -e 0`, so that a busy moment of the machine falls on
 * all of them alike; the bare start is printed beside them as the floor no CLI can go under.
 *
 * Run alone with `npx tsx bench/cli-start.ts`, or with the other benches by `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCli } from '../build/build.ts';

/** Issue 12, item 2: each command's median wall time. */
export const TARGET_MS = 300;
const ROUNDS = 21;

const OUT = join(process.cwd(), 'bench', '.out', 'cli');

export interface CliStartFigures {
  command: string;
  medianMs: number;
  minMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** One run of `node …args` to its exit, in ms of wall time. */
function wallMs(args: string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return ms;
}

export async function main(): Promise<CliStartFigures[]> {
  rmSync(OUT, { recursive: true, force: true });
  await buildCli(OUT);
  const bin = join(OUT, 'stepshift.js');
  const commands: [string, string[]][] = [
    [
      'stepshift plan CodeDeployDefault.LambdaCanary10Percent5Minutes',
      [bin, 'plan', 'CodeDeployDefault.LambdaCanary10Percent5Minutes'],
    ],
    ['stepshift --help', [bin, '--help']],
    ['node -e 0 (no CLI: the floor)', ['-e', '0']],
  ];
  const times = commands.map(() => [] as number[]);
  for (let i = 0; i < 2; i++) for (const [, args] of commands) wallMs(args); // disk cache warm
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, args]] of commands.entries()) times[i]?.push(wallMs(args));
  }
  const figures = commands.map(([command], i) => ({
    command,
    medianMs: median(times[i] ?? []),
    minMs: Math.min(...(times[i] ?? [])),
  }));

  console.log(
    `CLI start to exit, compiled (dist/js/stepshift.js as npm run build builds it), median of ${ROUNDS}\n`,
  );
  for (const [i, f] of figures.entries()) {
    const target =
      i < 2 ? ` (target ≤ ${TARGET_MS} ms)${f.medianMs <= TARGET_MS ? '' : '  ← over target'}` : '';
    console.log(
      `  ${f.command.padEnd(64)} ${f.medianMs.toFixed(0).padStart(4)} ms  min ${f.minMs.toFixed(0).padStart(4)} ms${target}`,
    );
  }
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
