/**
 * How long the whole test suite takes, `vitest run` start to exit, against issue 12 item 5's target of
 * 45 s wall on a 2-core machine, with the number of test files and tests it ran (fewer would not count).
 * The load average before and after is printed beside it: on a machine busy with other work the suite
 * takes longer, and this says so instead of hiding it. The suite's own output goes to this terminal.
 *
 * Run with `npm run bench:suite` (not part of `npm run bench`: it takes as long as the suite); arguments
 * after `--` go to vitest (`npm run bench:suite -- test/infra`).
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

/** Issue 12, item 5: the suite's wall time on a 2-core machine. */
export const TARGET_S = 45;

export interface SuiteFigures {
  wallS: number;
  exitCode: number;
  files?: string;
  tests?: string;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// biome-ignore lint/suspicious/noControlCharactersInRegex: the colours vitest writes to a terminal
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

export async function main(args: string[] = []): Promise<SuiteFigures> {
  const loadBefore = load();
  const started = process.hrtime.bigint();
  const child = spawn('npx', ['vitest', 'run', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    out += chunk.toString();
  });
  const exitCode = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const text = plain(out);
  const files = /Test Files\s+(.+)/.exec(text)?.[1]?.trim();
  const tests = /^\s*Tests\s+(.+)/m.exec(text)?.[1]?.trim();

  console.log(`\nthe test suite, vitest run, on ${availableParallelism()} cores\n`);
  console.log(
    `  wall ${wallS.toFixed(1).padStart(6)} s  (target ≤ ${TARGET_S} s)${wallS <= TARGET_S ? '' : '  ← over target'}`,
  );
  console.log(`  files  ${files ?? '?'}`);
  console.log(`  tests  ${tests ?? '?'}`);
  console.log(`  load average (1, 5, 15 min): ${loadBefore} before, ${load()} after`);
  if (exitCode !== 0) console.log(`  vitest exited ${exitCode}`);
  return { wallS, exitCode, ...(files ? { files } : {}), ...(tests ? { tests } : {}) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { exitCode } = await main(process.argv.slice(2));
  process.exitCode = exitCode;
}
