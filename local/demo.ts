/**
 * `npm start`: local mode with the example groups, and a demo of two deployments — a healthy version
 * through a canary that succeeds, then a bad version through a linear config that its alarm rolls
 * back — printed as they happen. Then it keeps serving the API until Ctrl-C.
 */
import { join } from 'node:path';
import { getDeployment, startDeployment } from '../functions/api/operations.ts';
import { type Deployment, describeRouting } from '../functions/core/deployment.ts';
import { formatDuration } from '../functions/core/duration.ts';
import type { GroupConfig } from '../functions/core/group-config.ts';
import { wordsOf } from '../functions/platforms/index.ts';
import type { LocalAccountFile } from './account-file.ts';
import { demoDeployments } from './demo-plan.ts';
import { startLocal } from './index.ts';
import { Rehearsal } from './rehearsal.ts';
import { localRoutes } from './routes.ts';
import { seedAccount } from './seed.ts';
import { serveLocalApi } from './server.ts';

export interface DemoOptions {
  groups: GroupConfig;
  /** How the account behaves (stepshift.local.json); absent: everything healthy, hooks succeed. */
  accountFile?: LocalAccountFile;
  speed: number;
  dataDir: string;
  port: number;
  /** Run the two demo deployments (default true). */
  demo: boolean;
  /** Stop after the demo instead of serving (tests, CI). */
  exitAfterDemo: boolean;
  print: (line: string) => void;
}

const TASK_STATES = new Set([
  'Prepare',
  'BeforeInstall',
  'Install',
  'CheckSteady',
  'AfterInstall',
  'TestTraffic',
  'AfterAllowTestTraffic',
  'ScaleDownOld',
  'BeforeAllowTraffic',
  'ShiftTraffic',
  'CheckAlarms',
  'Bake',
  'CheckAlarmsAfterBake',
  'AfterAllowTraffic',
  'Finalize',
  'RollBack',
]);

export async function runLocal(options: DemoOptions): Promise<{ outcomes: Record<string, string> }> {
  const { print } = options;
  // Before anything starts, so that a Ctrl-C at any moment closes whatever was started.
  const stop = stopSignal();
  const local = await startLocal({
    groups: options.groups,
    speed: options.speed,
    dataDir: options.dataDir,
    seed: (account) => seedAccount(account, options.groups, options.accountFile),
  }).catch((e: unknown) => {
    stop.dispose();
    throw e;
  });
  print(`stepshift local mode — virtual clock ×${options.speed}, state in ${options.dataDir}`);
  for (const id of local.recovered)
    print(`  recovered ${id}: it was in progress when local mode stopped; rolled back`);

  const rehearsal = new Rehearsal(local, { bucketRoot: join(options.dataDir, 's3') });
  let api: Awaited<ReturnType<typeof serveLocalApi>> | undefined;
  if (!options.exitAfterDemo) {
    // A taken port ends `npm start` with its one line: local mode is closed first, or it would keep
    // the process alive with nothing to serve.
    api = await serveLocalApi(local.ctx, options.port, localRoutes(rehearsal)).catch(async (e: unknown) => {
      stop.dispose();
      await local.close();
      throw e;
    });
    print(`API on ${api.url}  (try: npx stepshift list)`);
  }
  // From here on a stop closes local mode at once, whatever runs (an execution cut short is rolled back at
  // the next start), and every path below returns once it has: the pid file goes, dynalite closes, exit 0.
  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      await api?.close();
      await local.close();
    })();
    return closing;
  };
  void stop.requested.then(() => {
    print('stopping…');
    return shutdown();
  });
  if (stop.isRequested()) {
    await shutdown();
    stop.dispose();
    return { outcomes: {} };
  }

  const starts = new Map<string, number>();
  local.workflow.onTransition(async (execution, event) => {
    if (event.type !== 'StateEntered' || !event.state || !TASK_STATES.has(event.state.name)) return;
    const start = starts.get(execution) ?? local.clock.now();
    // The engine does not await its listeners: a store error here must not become an unhandled rejection.
    const d = await local.ctx.store.get(execution).catch(() => undefined);
    const t = `T+${formatDuration((local.clock.now() - start) / 1000)}`.padEnd(10);
    print(
      `  ${t} ${(d?.group ?? '').padEnd(11)} ${event.state.name.padEnd(21)} ${d ? `${d.percent} %` : ''}`,
    );
  });
  local.events.subscribe((c) => {
    if (c.status !== 'CREATED')
      print(`  ── ${c.deploymentId} ${c.previousStatus} → ${c.status}${c.reason ? `: ${c.reason}` : ''}`);
  });

  const outcomes: Record<string, string> = {};
  const run = async (group: string, revision: string, title: string) => {
    print(`\n▶ ${title}`);
    const { deployment } = await startDeployment(local.ctx, { group, revision, description: title });
    starts.set(deployment.executionName, local.clock.now());
    print(
      `  ${deployment.id}: ${wordsOf(deployment.kind).revision} ${revision} → ${group} with ${deployment.configName}`,
    );
    await local.workflow.execution(deployment.executionName)?.done;
    const { deployment: end } = await getDeployment(local.ctx, deployment.id);
    outcomes[group] = end.status;
    print(summary(end));
  };

  try {
    if (options.demo) {
      for (const { group, title, revision } of demoDeployments(
        rehearsal,
        local.ctx.groups,
        local.clock.now(),
      ))
        await run(group, revision(), title);
    }
  } catch (e) {
    await shutdown();
    stop.dispose();
    // A demo cut short by Ctrl-C fails on the store closed under it: that is the stop, not an error.
    if (stop.isRequested()) return { outcomes };
    throw e;
  }

  if (options.exitAfterDemo) {
    await shutdown();
    stop.dispose();
    return { outcomes };
  }
  if (!stop.isRequested())
    print(`\nServing the API on ${api?.url} — Ctrl-C to stop. State is kept in ${options.dataDir}.`);
  await stop.requested;
  await shutdown();
  stop.dispose();
  return { outcomes };
}

/**
 * SIGINT (Ctrl-C) and SIGTERM, caught from the first moment of `npm start`: Node's default would end the
 * process at once, leaving the pid file behind and dynalite mid-write. Repeats are ignored — a terminal's
 * Ctrl-C reaches npm, tsx and node alike — until `dispose`.
 */
function stopSignal(): { requested: Promise<void>; isRequested(): boolean; dispose(): void } {
  let requested = false;
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const onSignal = () => {
    requested = true;
    resolve();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    requested: promise,
    isRequested: () => requested,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function summary(d: Deployment): string {
  const took = d.endedAt ? formatDuration((Date.parse(d.endedAt) - Date.parse(d.createdAt)) / 1000) : '?';
  const routing = d.lastRouting ? describeRouting(d.lastRouting) : 'unchanged';
  return `  ■ ${d.status} after ${took} of virtual time${d.reason ? ` — ${d.reason}` : ''}\n    routing now: ${routing}`;
}

export const DEFAULT_DATA_DIR = join(process.cwd(), '.stepshift');
