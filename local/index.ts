/**
 * Local mode's wiring: the one place that chooses the local adapters — dynalite behind the DynamoDB
 * store, the simulated account behind the router, alarms, hooks and metrics, the virtual clock, the local
 * engine, the analysis ticker — and hands them to the same tasks and API operations that run on AWS.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApiContext, alarmStateChanged } from '../functions/api/operations.ts';
import { dequeueNext, startNextQueued } from '../functions/api/queue.ts';
import { releaseExecutionEnded } from '../functions/api/release-workflow.ts';
import { DynamoDeploymentStore } from '../functions/aws/dynamo-store.ts';
import { DynamoReleaseStore } from '../functions/aws/release-store.ts';
import { StepShiftError } from '../functions/core/errors.ts';
import type { GroupConfig } from '../functions/core/group-config.ts';
import { releaseCoordinator } from '../functions/tasks/release.ts';
import { rollback } from '../functions/tasks/rollback.ts';
import { type AccountSnapshot, SimulatedAccount } from './account.ts';
import { type AnalysisTicker, startAnalysisTicker } from './analysis-ticker.ts';
import { LocalBakeSignals } from './bake-signals.ts';
import { type LocalClock, StepClock, VirtualClock } from './clock.ts';
import { startLocalDynamo } from './dynamo.ts';
import { LocalExecutionHistory, LocalReleaseWorkflow, LocalWorkflow } from './engine.ts';
import { LocalEventBus } from './events.ts';
import { LocalNotifier } from './notifications.ts';
import {
  keepVirtualTime,
  recoverInterrupted,
  recoverReleases,
  storedDeployments,
  virtualTimeFloor,
  writeWhole,
} from './recovery.ts';

export interface LocalOptions {
  groups: GroupConfig;
  /** Virtual seconds per real second (ignored when `clock` is given). */
  speed?: number;
  /** The clock everything local waits on: a `VirtualClock` at `speed` unless given (tests give a `StepClock`). */
  clock?: LocalClock;
  /** Where state survives restarts; absent: everything in memory. */
  dataDir?: string;
  /** Sets up the simulated account on first start (functions, hooks, alarms). Hooks and alarms are code: always. */
  seed?: (account: SimulatedAccount, firstStart: boolean) => void;
  /** Send synthetic traffic (default true). */
  traffic?: boolean;
  trafficSeed?: number;
  /** How long a notification webhook may take to answer (default WEBHOOK_TIMEOUT_MS). */
  notificationTimeoutMs?: number;
}

export interface LocalStepShift {
  ctx: ApiContext;
  account: SimulatedAccount;
  workflow: LocalWorkflow;
  /** The release workflow (statemachines/release.asl.json). */
  releaseWorkflow: LocalReleaseWorkflow;
  clock: LocalClock;
  events: LocalEventBus;
  /** The groups' notifications: POSTs to loopback webhooks, SNS publishes on `account.sns`. */
  notifier: LocalNotifier;
  /** Deployments found in progress at start and rolled back. */
  recovered: string[];
  /** Releases found in progress at start, and how each was ended. */
  recoveredReleases: { id: string; status: string }[];
  close(): Promise<void>;
}

export async function startLocal(options: LocalOptions): Promise<LocalStepShift> {
  const releaseLock = options.dataDir ? takeDataLock(options.dataDir) : () => {};
  try {
    const dynamo = await startLocalDynamo(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {});
    const records = await storedDeployments(dynamo.client, dynamo.table);
    // Virtual time never goes backwards across restarts: it resumes where it stopped if that is ahead of now.
    const clock =
      options.clock ??
      new VirtualClock(options.speed ?? 1, Math.max(Date.now(), virtualTimeFloor(options.dataDir, records)));
    const account = new SimulatedAccount(clock, options.trafficSeed ?? 42);
    const accountFile = options.dataDir ? join(options.dataDir, 'account.json') : undefined;
    const firstStart = !accountFile || !existsSync(accountFile);
    if (accountFile && !firstStart)
      account.load(JSON.parse(readFileSync(accountFile, 'utf8')) as AccountSnapshot);
    options.seed?.(account, firstStart);
    if (accountFile) {
      const save = () => writeWhole(accountFile, JSON.stringify(account.snapshot(), null, 2));
      account.onChange = save;
      save();
    }

    const events = new LocalEventBus();
    const bakes = new LocalBakeSignals();
    const store = new DynamoDeploymentStore(dynamo.client, dynamo.table, clock);
    const releases = new DynamoReleaseStore(dynamo.client, dynamo.table, clock);
    const ctx: ApiContext & { releases: DynamoReleaseStore } = {
      groups: options.groups,
      router: account.lambda,
      loadBalancer: account.elb,
      scaler: account.ecs,
      alarms: account.cloudwatch,
      hooks: account.lambda,
      metrics: account.metrics,
      store,
      releases,
      releaseCoordinator: releaseCoordinator({ store, releases, bakes, events, clock }),
      events,
      clock,
      bakes,
      workflow: undefined as never,
      executions: undefined as never,
    };
    let closed = false;
    // Beside the workflow, never in its way: a webhook that fails or hangs is logged, not awaited.
    const notifier = new LocalNotifier({
      groups: Object.values(options.groups.groups),
      sns: account.sns,
      clock,
      ...(options.notificationTimeoutMs ? { timeoutMs: options.notificationTimeoutMs } : {}),
      log: (line) => {
        if (!closed) console.error(line);
      },
    });
    events.subscribe((change) => notifier.stateChanged(change));
    events.subscribeApprovals((pending) => notifier.approvalPending(pending));
    const workflow = new LocalWorkflow(ctx, clock, bakes);
    ctx.workflow = workflow;
    const releaseWorkflow = new LocalReleaseWorkflow(ctx, clock, bakes);
    ctx.releaseWorkflow = releaseWorkflow;
    ctx.executions = new LocalExecutionHistory(workflow);
    const quiet = async (stop: () => boolean) => {
      // As the test clock's own wait: quiet for a few turns of the event loop, not only this one.
      for (let turns = 0; turns < 3 && !stop(); ) {
        await new Promise((r) => setImmediate(r));
        turns = workflow.busy() || releaseWorkflow.busy() || dynamo.inflight() > 0 ? 0 : turns + 1;
      }
    };
    // Started last, with the traffic (below).
    let ticker: AnalysisTicker | undefined;
    if (clock instanceof StepClock) {
      // The test clock moves only when no execution is working, no DynamoDB request is in flight and no
      // analysis run is under way.
      clock.busy = () =>
        workflow.busy() || releaseWorkflow.busy() || dynamo.inflight() > 0 || (ticker?.busy() ?? false);
      dynamo.onIdle = () => clock.poke();
    }
    account.onAlarm((name, state) => {
      if (closed) return;
      alarmStateChanged(ctx, name, state).catch((e) => {
        if (!closed) console.error(`alarm intake failed: ${String(e)}`);
      });
    });

    // An execution that ended outside the RollBack path (a runtime error of the engine, a timeout of the
    // whole execution) must not leave its deployment half-shifted and its group locked.
    workflow.onEnd(async (execution, input) => {
      if (closed) return;
      // The RollBack path ends in a Fail state too; rollback() returns at once for those.
      if (execution.status === 'FAILED') {
        await rollback(ctx, {
          deploymentId: input.deploymentId,
          execution: execution.name,
          error: {
            Error: execution.error ?? 'ExecutionFailed',
            Cause: execution.cause ?? 'the execution failed',
          },
          force: false,
        }).catch((e) => console.error(`watchdog rollback of ${input.deploymentId} failed: ${String(e)}`));
      }
      // However it ended, the group's next queued deployment starts (as the watchdog does on AWS).
      await startNextQueued(ctx, input.deploymentId).catch((e) => {
        if (!closed)
          console.error(
            `starting the next queued deployment after ${input.deploymentId} failed: ${String(e)}`,
          );
      });
    });

    // A release whose execution ended outside its own path (the engine failed, or it was aborted) must
    // not leave its members waiting at their commit point: as the release watchdog does on AWS.
    releaseWorkflow.onEnd(async (execution, input) => {
      // The release's own path ends in a Fail state too: releaseExecutionEnded returns at once for those.
      if (closed || execution.status === 'SUCCEEDED') return;
      await releaseExecutionEnded(
        ctx,
        input.releaseId,
        `the release execution ended ${execution.status}${execution.cause ? `: ${execution.cause}` : ''}`,
      ).catch((e) => console.error(`ending release ${input.releaseId} failed: ${String(e)}`));
    });

    // A release interrupted by a restart is ended first: committed, its members finalize; otherwise its
    // members are rolled back with it (and those not started are cancelled).
    const recoveredReleases = await recoverReleases(
      ctx,
      undefined,
      'local mode stopped while the release was in progress',
    );
    // A deployment interrupted by a restart is rolled back to its recorded routing, never left half-shifted;
    // a lock whose deployment ended, or was never recorded, is freed: nothing else is running now.
    const recovered = await recoverInterrupted(ctx, records);
    // Deployments queued before the restart: each free group starts its next one.
    for (const group of Object.keys(options.groups.groups)) await dequeueNext(ctx, group);
    const savedTime = options.dataDir ? keepVirtualTime(clock, options.dataDir) : undefined;

    if (options.traffic !== false) account.startTraffic();
    // Canary analysis during bakes, every virtual minute (a scheduled rule on AWS). Only for a config with
    // checks: a test clock with nothing else to wait for can then still say so.
    if (Object.values(options.groups.groups).some((g) => g.analysis.length > 0)) {
      ticker = startAnalysisTicker(ctx, clock, {
        log: (line) => {
          if (!closed) console.error(line);
        },
        ...(clock instanceof StepClock ? { settle: () => quiet(() => closed) } : {}),
      });
    }
    return {
      ctx,
      account,
      workflow,
      releaseWorkflow,
      clock,
      events,
      notifier,
      recovered,
      recoveredReleases,
      // Once only, however often asked: a Ctrl-C mid-demo and the demo's own ending may both close.
      close: once(async () => {
        closed = true;
        // A start racing the close (the demo's next deployment, a request) is refused, not run on a store
        // that is going away.
        ctx.workflow = { start: () => Promise.reject(new StepShiftError('local mode is stopping')) };
        ctx.releaseWorkflow = { start: () => Promise.reject(new StepShiftError('local mode is stopping')) };
        try {
          account.stopTraffic();
          const ticked = ticker?.stop();
          releaseWorkflow.abortAll();
          workflow.abortAll();
          await releaseWorkflow.idle();
          await workflow.idle();
          await notifier.close();
          await ticked;
          savedTime?.stop();
          await dynamo.close();
        } finally {
          releaseLock();
        }
      }),
    };
  } catch (e) {
    releaseLock();
    throw e;
  }
}

/** Two processes on one dynalite folder crash it: the second is told clearly instead. */
function takeDataLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'stepshift.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => {
        process.off('exit', release);
        if (holds(file)) rmSync(file, { force: true });
      };
      // The last resort for an exit that skips close (process.exit, an uncaught error): no pid file is
      // left behind to name a process that is gone — or, once its pid is reused, one that is not ours.
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && alive(pid)) {
        throw new StepShiftError(
          `another stepshift local instance (pid ${pid}) is using ${dir}: stop it first, or use another --data folder`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new StepShiftError(`cannot lock ${dir}`);
}

/** Whether the pid file still names this process: another instance's file is never removed. */
function holds(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').trim() === String(process.pid);
  } catch {
    return false;
  }
}

/** `fn` run on the first call; every call gets the same promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
