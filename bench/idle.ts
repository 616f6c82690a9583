/**
 * What an idle local server costs: local mode started as `npm start` starts it (the example config,
 * ×30, no demo, loopback port 0, a fresh data folder), left to settle, then its CPU use (user + system,
 * all threads) over a fixed real interval, as a percentage of one core. Linux (reads /proc).
 * Run with `npx tsx bench/idle.ts`, or within `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSeconds, spawnLocal, stopLocal } from './local-process.ts';

const TARGET_PERCENT = 2;
/**
 * Start-up is not idling: module loading, JIT, and V8's memory-reducing full collections, which come
 * about 25 s after start (measured with --trace-gc) and cost ~2 % of a core while they last.
 */
const SETTLE_MS = 30_000;
const MEASURE_MS = 10_000;

export async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-idle-'));
  const local = await spawnLocal({ dataDir, speed: 30 });
  try {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const before = cpuSeconds(local.pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const percent = ((cpuSeconds(local.pid) - before) / ((performance.now() - t0) / 1000)) * 100;
    console.log('Idle local mode (npm start without the demo: example config, ×30, synthetic traffic on)\n');
    console.log(
      `  CPU ${percent.toFixed(2)} % of a core over ${MEASURE_MS / 1000} s real, after ${SETTLE_MS / 1000} s to settle (target ≤ ${TARGET_PERCENT} %)${percent <= TARGET_PERCENT ? '' : '  ← over target'}`,
    );
  } finally {
    const how = await stopLocal(local);
    if (how !== 'clean') console.log('  (it did not stop on SIGINT within 15 s: killed)');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
