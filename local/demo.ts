/**
 * `npm start`: local mode with the example groups, and a demo (local/demo-plan.ts) — a healthy version
 * through a canary that succeeds, a bad version through a linear config that its alarm rolls back, a
 * subtly worse version that its alias alarm misses and canary analysis rolls back, an ECS blue/green —
 * printed as a table as they happen (local/demo-output.ts), analysis runs with their numbers. Then it keeps serving the
 * API and the console until Ctrl-C, printing every deployment started meanwhile the same way.
 */
import { join } from 'node:path';
import { getDeployment, startDeployment } from '../functions/api/operations.ts';
import type { Deployment } from '../functions/core/deployment.ts';
import type { GroupConfig } from '../functions/core/group-config.ts';
import type { HookProgress } from '../functions/ports.ts';
import type { LocalAccountFile } from './account-file.ts';
import { localConsole } from './console.ts';
import {
  analysisRows,
  endDetails,
  formatRow,
  HOOK_STATES,
  type Layout,
  layoutFor,
  type StateEnd,
  servingLines,
  snsLine,
  startLines,
  statusLine,
  summaryLines,
  TASK_STATES,
  WAIT_STATES,
  waitDetail,
} from './demo-output.ts';
import { demoDeployments } from './demo-plan.ts';
import type { EngineEvent } from './engine.ts';
import { type LocalStepShift, startLocal } from './index.ts';
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
  /** Run the demo deployments (default true). */
  demo: boolean;
  /** Stop after the demo instead of serving (tests, CI). */
  exitAfterDemo: boolean;
  print: (line: string) => void;
}

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
  // Before the API listens: a deployment the CLI starts at once is printed too.
  const demoTitles = new Set<string>();
  followDeployments(local, print, layoutFor(Object.keys(options.groups.groups)), demoTitles);
  // Printed only when a group's notifications name a topic: nothing else publishes to the simulated SNS.
  local.account.sns.onPublish((p) => print(snsLine(p)));
  let api: Awaited<ReturnType<typeof serveLocalApi>> | undefined;
  if (!options.exitAfterDemo) {
    // A taken port ends `npm start` with its one line: local mode is closed first, or it would keep
    // the process alive with nothing to serve.
    api = await serveLocalApi(local.ctx, options.port, localRoutes(rehearsal), (url) =>
      localConsole(local, url),
    ).catch(async (e: unknown) => {
      stop.dispose();
      await local.close();
      throw e;
    });
    for (const line of servingLines(api.url, process.env.STEPSHIFT_URL)) print(line);
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

  const outcomes: Record<string, string> = {};
  const run = async (group: string, revision: string, title: string) => {
    demoTitles.add(title);
    const { deployment } = await startDeployment(local.ctx, { group, revision, description: title });
    // Ends once the end listeners ran: the deployment's last rows and its summary are printed by then.
    await local.workflow.execution(deployment.executionName)?.done;
    const { deployment: end } = await getDeployment(local.ctx, deployment.id);
    outcomes[group] = end.status;
  };

  try {
    if (options.demo) {
      for (const { group, title, revision } of demoDeployments(
        rehearsal,
        local.ctx.groups,
        local.clock.now(),
      )) {
        // A Ctrl-C ends the deployment under way: the next one is not started.
        if (stop.isRequested()) break;
        await run(group, revision(), title);
      }
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
    print(
      `\nServing the API and the console on ${api?.url} — Ctrl-C to stop. State is kept in ${options.dataDir}.`,
    );
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

/**
 * Prints every deployment as it runs — the demo's and any other started while local mode serves (the
 * CLI, the API, an event): its opening block when it is created, a row when each Task state ends (read
 * then, so the percent is what the state left), a row when a wait begins, the state-change
 * notifications, and a summary when its execution ends.
 *
 * The listeners are called in the engine's order but read the store asynchronously: each read starts at
 * once (the deployment as it is at that moment) and the lines go out through one queue, in event order.
 */
export function followDeployments(
  local: LocalStepShift,
  print: (line: string) => void,
  layout: Layout,
  demoTitles: ReadonlySet<string> = new Set(),
): void {
  let queue = Promise.resolve();
  const enqueue = (lines: () => Promise<string[]>) => {
    queue = queue.then(async () => {
      // A read that fails (the store closing under a Ctrl-C) prints nothing rather than ending the process.
      for (const line of await lines().catch(() => [])) print(line);
    });
    return queue;
  };
  const read = (id: string) => local.ctx.store.get(id).catch(() => undefined);
  // Analysis runs are no Task state of their own (the ticker's come mid-bake): each row is preceded by the
  // runs recorded since the last, at their own times. Only a config with checks reads the timelines.
  const analysed = Object.values(local.ctx.groups.groups).some((g) => g.analysis.length > 0);
  const timelineOf = (id: string) =>
    analysed ? local.ctx.store.timeline(id).catch(() => undefined) : Promise.resolve(undefined);

  /**
   * Per execution: the error of the state that just failed, each hook event's last progress, and how many
   * of its analysis entries are printed.
   */
  type Followed = { failure?: StateEnd['failure']; hooks: Map<string, HookProgress[]>; analysed: number };
  const executions = new Map<string, Followed>();
  const stateOf = (execution: string): Followed => {
    const known = executions.get(execution);
    if (known) return known;
    const fresh: Followed = { hooks: new Map(), analysed: 0 };
    executions.set(execution, fresh);
    return fresh;
  };

  local.workflow.onTransition((execution, event) => {
    const name = event.state?.name;
    if (!name || !TASK_STATES.has(name)) return;
    const at = local.clock.now();
    const s = stateOf(execution);
    const deployment = read(execution);
    const row = (details: (d: Deployment) => Promise<string[]> | string[]) => {
      const timeline = timelineOf(execution);
      return enqueue(async () => {
        const d = await deployment;
        if (!d) return [];
        const shifted =
          name === 'ShiftTraffic' && event.type === 'StateExited' ? shiftPercent(event) : undefined;
        const since = Date.parse(d.createdAt);
        const runs = ((await timeline) ?? []).filter((e) => e.kind === 'analysis');
        const fresh = runs.slice(s.analysed);
        s.analysed = Math.max(s.analysed, runs.length);
        return [
          ...analysisRows(layout, d.group, since, fresh, d.percent),
          ...formatRow(layout, {
            at,
            since,
            group: d.group,
            state: name,
            percent: shifted ?? d.percent,
            details: await details(d),
          }),
        ];
      });
    };
    switch (event.type) {
      case 'StateEntered': {
        if (!WAIT_STATES.has(name)) return;
        row((d) => {
          const detail = waitDetail(name, event.state?.input, at, Date.parse(d.createdAt));
          return detail ? [detail] : [];
        });
        return;
      }
      case 'StateFailed':
        s.failure = failureOf(event);
        return;
      case 'StateRetried':
      case 'StateExited': {
        const failure = s.failure;
        delete s.failure;
        const hooks = HOOK_STATES.has(name)
          ? local.ctx.store.hookProgress(execution, name).catch(() => undefined)
          : Promise.resolve(undefined);
        row(async (d) => {
          const progress = await hooks;
          const previous = s.hooks.get(name);
          if (progress) s.hooks.set(name, structuredClone(progress));
          return endDetails({
            state: name,
            input: event.state?.input,
            output: event.state?.output,
            ...(failure ? { failure } : {}),
            ...(event.type === 'StateRetried' ? { retrying: true } : {}),
            deployment: d,
            ...(progress ? { hooks: progress } : {}),
            ...(previous ? { previousHooks: previous } : {}),
          });
        });
        return;
      }
    }
  });

  local.events.subscribe((change) => {
    if (change.status !== 'CREATED') {
      enqueue(async () => [statusLine(change)]);
      return;
    }
    const deployment = read(change.deploymentId);
    enqueue(async () => {
      const d = await deployment;
      if (!d) return [];
      return startLines(
        layout,
        d,
        d.description && demoTitles.has(d.description) ? d.description : undefined,
      );
    });
  });

  // `done` of an execution waits for this: the demo goes on to its next deployment once the summary is out.
  local.workflow.onEnd(async (execution, input) => {
    executions.delete(execution.name);
    // Aborted only by local mode stopping: the next start rolls it back and says so.
    if (execution.status === 'ABORTED') return;
    const deployment = read(input.deploymentId);
    await enqueue(async () => {
      const d = await deployment;
      return d ? summaryLines(d) : [];
    });
  });
}

/** The error a state failed with, as the engine reports it (AWS's Error and Cause). */
function failureOf(event: EngineEvent): { error: string; cause: string } {
  const e = event as EngineEvent & { Error?: unknown; Cause?: unknown };
  const error = e.Error ?? e.error;
  const cause = e.Cause ?? e.cause;
  return {
    error: typeof error === 'string' ? error : 'Error',
    cause: typeof cause === 'string' ? cause : cause === undefined ? '' : JSON.stringify(cause),
  };
}

/** The percent a ShiftTraffic state set, from its output: exact even if the store has moved on since. */
function shiftPercent(event: EngineEvent): number | undefined {
  const shift = (event.state?.output as { shift?: { percent?: unknown } } | undefined)?.shift;
  return typeof shift?.percent === 'number' ? shift.percent : undefined;
}

export const DEFAULT_DATA_DIR = join(process.cwd(), '.stepshift');
