/**
 * Chaos: local mode in a child process, 100 concurrent deployments over its API (one per group, a fifth
 * of them bad versions their alarm rolls back, a tenth asked to stop), a kill -9 at a random moment,
 * then a restart on the same data folder — five times. After each restart, local mode itself (startLocal
 * in this process, seeded as the CLI seeds it) reads the folder and the figures are counted:
 *
 * - stuck deployments: not ended and not running (nothing would ever end them; `stop` would do nothing);
 * - locks held by ended deployments (or by deployments never recorded): groups blocked for nothing;
 * - split routings: an alias not whole with no deployment in progress on its group.
 *
 * Each should be 0. Bounded: 5 rounds, each kill within 8 s of the first start, every wait with a
 * deadline; loopback only; it removes its folder. Run with `npx tsx bench/chaos.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isTerminal } from '../functions/core/deployment.ts';
import { type GroupConfig, parseGroupConfig } from '../functions/core/group-config.ts';
import { type LocalStepShift, startLocal } from '../local/index.ts';
import { seedAccount } from '../local/seed.ts';
import { spawnLocal } from './local-process.ts';

const GROUPS = 100;
const ROUNDS = 5;
const SPEED = 300;
/** The kill comes between these real times after the first request: mid-request, mid-shift or after. */
const MIN_KILL_MS = 300;
const MAX_KILL_MS = 8000;
const CONFIGS = [
  'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
  'CodeDeployDefault.LambdaCanary10Percent5Minutes',
  'CodeDeployDefault.LambdaAllAtOnce',
];

const name = (i: number) => `chaos-${String(i).padStart(3, '0')}`;

/** 100 Lambda groups, each its own function and alarm: local mode creates them from the config. */
function chaosConfig(): unknown {
  const groups: Record<string, unknown> = {};
  for (let i = 0; i < GROUPS; i++) {
    groups[name(i)] = {
      kind: 'lambda',
      target: { functionName: name(i), alias: 'live' },
      deploymentConfig: CONFIGS[i % CONFIGS.length],
      alarms: [`${name(i)}-errors`],
    };
  }
  return { groups };
}

/** A seeded PRNG: the same run kills at the same moments. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A JSON POST to the local API, answered within 10 s. */
function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

interface Figures {
  deployments: number;
  stuck: number;
  endedLocks: number;
  splitRoutings: number;
  clockBehind: number;
}

/** What local mode finds in the folder once restarted (its recovery has run). */
async function inspect(local: LocalStepShift, groups: GroupConfig): Promise<Figures> {
  const { store } = local.ctx;
  let deployments = 0;
  let stuck = 0;
  let splitRoutings = 0;
  let clockBehind = 0;
  for (const group of Object.values(groups.groups)) {
    if (group.kind !== 'lambda') continue;
    // The index may list a record its table lacks, or list it with another status: the table decides,
    // and a listed record the table lacks counts as stuck (list shows it, nothing can end it).
    const listed = await store.list({ group: group.name, limit: 100 });
    deployments += listed.length;
    const records = await Promise.all(
      listed.map(async (d) => (await store.get(d.id)) ?? { ...d, lost: true }),
    );
    const open = records.filter((d) => !isTerminal(d.status) || 'lost' in d);
    const stuckHere = open.filter((d) => local.workflow.execution(d.executionName)?.status !== 'RUNNING');
    stuck += stuckHere.length;
    for (const d of stuckHere)
      console.log(`    stuck: ${d.id} ${d.status}${'lost' in d ? ' (listed, not stored)' : ''}`);
    for (const d of records) if (Date.parse(d.updatedAt) > local.clock.now()) clockBehind++;
    const routing = local.account.aliasRouting(group.target.functionName, group.target.alias);
    const split = Object.values(routing.additionalVersionWeights).some((w) => w > 0);
    if (split && open.length === 0) splitRoutings++;
  }
  let endedLocks = 0;
  for (const { deploymentId } of await store.locks()) {
    const d = await store.get(deploymentId);
    if (!d || isTerminal(d.status)) endedLocks++;
  }
  return { deployments, stuck, endedLocks, splitRoutings, clockBehind };
}

async function inProcess(
  dataDir: string,
  groups: GroupConfig,
): Promise<{ figures: Figures; recovered: number }> {
  const local = await startLocal({
    groups,
    speed: SPEED,
    dataDir,
    traffic: false,
    seed: (account) => seedAccount(account, groups),
  });
  try {
    return { figures: await inspect(local, groups), recovered: local.recovered.length };
  } finally {
    await local.close();
  }
}

/** One round: 100 starts at once (a fifth bad), some stops, then a kill -9 at a random moment. */
async function round(dataDir: string, configFile: string, random: () => number): Promise<string> {
  const local = await spawnLocal({ dataDir, speed: SPEED, config: configFile });
  const killAfter = Math.round(MIN_KILL_MS + random() * (MAX_KILL_MS - MIN_KILL_MS));
  const answers = new Map<string, number>();
  const count = (what: string) => answers.set(what, (answers.get(what) ?? 0) + 1);
  const deploy = async (i: number): Promise<void> => {
    const group = name(i);
    const bad = random() < 0.2;
    const published = await post(
      local.url,
      `/local/groups/${group}/versions`,
      bad ? { errorRate: 0.35 } : {},
    );
    if (published.status !== 201) {
      count(`publish ${published.status}`);
      return;
    }
    const { version } = (await published.json()) as { version: string };
    const start = await post(local.url, '/deployments', { group, revision: version });
    count(`start ${start.status}`);
    if (start.status >= 500)
      console.log(`    ${start.status} on start: ${(await start.text()).slice(0, 200)}`);
    if (start.status !== 201) return;
    const { id } = (await start.json()) as { id: string };
    if (random() < 0.1) {
      await new Promise((r) => setTimeout(r, random() * 1000));
      const stopped = await post(local.url, `/deployments/${id}/stop`, {});
      count(`stop ${stopped.status}`);
    }
  };
  const t0 = performance.now();
  const requests = Promise.allSettled(Array.from({ length: GROUPS }, (_, i) => deploy(i)));
  await new Promise((r) => setTimeout(r, killAfter));
  const killedAt = Math.round(performance.now() - t0);
  local.child.kill('SIGKILL');
  await local.exited;
  const settled = await requests;
  const cut = settled.filter((s) => s.status === 'rejected').length;
  const summary = [...answers].map(([k, n]) => `${k}: ${n}`).join(', ');
  return `kill -9 at ${killedAt} ms; ${summary || 'no answer'}${cut ? `; cut by the kill: ${cut}` : ''}`;
}

export async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-chaos-'));
  const configFile = join(dataDir, 'chaos.config.json');
  writeFileSync(configFile, JSON.stringify(chaosConfig(), null, 2));
  const groups = parseGroupConfig(chaosConfig());
  const random = prng(7);
  const deadline = Date.now() + 10 * 60_000;
  console.log(
    `Chaos: ${GROUPS} Lambda groups, ${GROUPS} concurrent deployments a round, kill -9 within ${MAX_KILL_MS / 1000} s, ×${SPEED}, ${ROUNDS} rounds\n`,
  );
  const totals: Figures = { deployments: 0, stuck: 0, endedLocks: 0, splitRoutings: 0, clockBehind: 0 };
  try {
    // The first start creates the account from the config and closes cleanly: the rounds kill the child.
    await inProcess(dataDir, groups);
    for (let r = 1; r <= ROUNDS && Date.now() < deadline; r++) {
      const what = await round(dataDir, configFile, random);
      const { figures, recovered } = await inProcess(dataDir, groups);
      console.log(`  round ${r}: ${what}`);
      console.log(
        `           restart recovered ${recovered}; records ${figures.deployments}; stuck ${figures.stuck}, locks held by ended deployments ${figures.endedLocks}, split routings ${figures.splitRoutings}, records dated after the restart's clock ${figures.clockBehind}`,
      );
      totals.stuck += figures.stuck;
      totals.endedLocks += figures.endedLocks;
      totals.splitRoutings += figures.splitRoutings;
      totals.clockBehind += figures.clockBehind;
    }
    console.log(`\nOver ${ROUNDS} rounds (target 0 each):`);
    console.log(`  stuck deployments ${totals.stuck}`);
    console.log(`  locks held by ended deployments ${totals.endedLocks}`);
    console.log(`  split routings ${totals.splitRoutings}`);
    console.log(`  (records dated after the restarted clock ${totals.clockBehind})`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
