/**
 * `npm start`: local mode with the example groups, and a demo of two deployments — a healthy version
 * through a canary that succeeds, then a bad version through a linear config that its alarm rolls
 * back — printed as they happen. Then it keeps serving the API until Ctrl-C.
 */
import { join } from 'node:path';
import { getDeployment, startDeployment } from '../functions/api/operations.ts';
import type { Deployment } from '../functions/core/deployment.ts';
import { formatDuration } from '../functions/core/duration.ts';
import type { GroupConfig } from '../functions/core/group-config.ts';
import { startLocal } from './index.ts';
import { BROKEN, HEALTHY, seedExampleAccount } from './seed.ts';
import { serveLocalApi } from './server.ts';

export interface DemoOptions {
  groups: GroupConfig;
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
  const local = await startLocal({
    groups: options.groups,
    speed: options.speed,
    dataDir: options.dataDir,
    seed: (account, first) => seedExampleAccount(account, { withFunctions: first }),
  });
  print(`stepshift local mode — virtual clock ×${options.speed}, state in ${options.dataDir}`);
  for (const id of local.recovered)
    print(`  recovered ${id}: it was in progress when local mode stopped; rolled back`);

  let api: Awaited<ReturnType<typeof serveLocalApi>> | undefined;
  if (!options.exitAfterDemo) {
    api = await serveLocalApi(local.ctx, options.port);
    print(`API on ${api.url}  (try: npx stepshift list)`);
  }

  const starts = new Map<string, number>();
  const groupOf = new Map<string, string>();
  local.workflow.onTransition(async (execution, event) => {
    if (event.type !== 'StateEntered' || !event.state || !TASK_STATES.has(event.state.name)) return;
    const start = starts.get(execution) ?? local.clock.now();
    const d = await local.ctx.store.get(execution);
    const t = `T+${formatDuration((local.clock.now() - start) / 1000)}`.padEnd(10);
    print(
      `  ${t} ${(groupOf.get(execution) ?? '').padEnd(11)} ${event.state.name.padEnd(21)} ${d ? `${d.percent} %` : ''}`,
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
    groupOf.set(deployment.executionName, group);
    print(`  ${deployment.id}: version ${revision} → ${group} with ${deployment.configName}`);
    await local.workflow.execution(deployment.executionName)?.done;
    const { deployment: end } = await getDeployment(local.ctx, deployment.id);
    outcomes[group] = end.status;
    print(summary(end, local.account.describeAlias(group, 'live')));
  };

  try {
    if (options.demo) {
      const good = local.account.publishVersion('orders-api', HEALTHY);
      await run(
        'orders-api',
        good,
        `a healthy version of orders-api through ${local.ctx.groups.groups['orders-api']?.deploymentConfig.name}`,
      );
      const bad = local.account.publishVersion('payments', BROKEN);
      await run(
        'payments',
        bad,
        `a bad version of payments (35 % errors) through ${local.ctx.groups.groups.payments?.deploymentConfig.name}`,
      );
    }
  } catch (e) {
    await local.close();
    api?.server.close();
    throw e;
  }

  if (options.exitAfterDemo) {
    await local.close();
    return { outcomes };
  }
  print(`\nServing the API on ${api?.url} — Ctrl-C to stop. State is kept in ${options.dataDir}.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  print('stopping…');
  api?.server.close();
  await local.close();
  return { outcomes };
}

function summary(d: Deployment, routing: string): string {
  const took = d.endedAt ? formatDuration((Date.parse(d.endedAt) - Date.parse(d.createdAt)) / 1000) : '?';
  return `  ■ ${d.status} after ${took} of virtual time${d.reason ? ` — ${d.reason}` : ''}\n    alias now: ${routing}`;
}

export const DEFAULT_DATA_DIR = join(process.cwd(), '.stepshift');
