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
  local.workflow.onTransition(async (execution, event) => {
    if (event.type !== 'StateEntered' || !event.state || !TASK_STATES.has(event.state.name)) return;
    const start = starts.get(execution) ?? local.clock.now();
    const d = await local.ctx.store.get(execution);
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
      const image = `shop/web:release-${new Date(local.clock.now()).toISOString().replace(/\D/g, '').slice(0, 12)}`;
      local.account.defineImage(image, HEALTHY);
      await run(
        'web',
        image,
        `a new image of web on ECS through ${local.ctx.groups.groups.web?.deploymentConfig.name}: install, test traffic, canary, scale-down`,
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

function summary(d: Deployment): string {
  const took = d.endedAt ? formatDuration((Date.parse(d.endedAt) - Date.parse(d.createdAt)) / 1000) : '?';
  const routing = d.lastRouting ? describeRouting(d.lastRouting) : 'unchanged';
  return `  ■ ${d.status} after ${took} of virtual time${d.reason ? ` — ${d.reason}` : ''}\n    routing now: ${routing}`;
}

export const DEFAULT_DATA_DIR = join(process.cwd(), '.stepshift');
