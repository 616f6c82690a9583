/**
 * Runs statemachines/deployment.asl.json with aws-local-stepfunctions: the same file as on AWS, each
 * Task state mapped (by state name) to the same task function its Lambda runs. Two local overrides,
 * both because the engine has no clock of its own to compress:
 * - the Bake and FinalBake states, callback tasks on AWS, become a handler that does exactly what AWS does — ends
 *   with `States.Timeout` when the bake time elapses on the virtual clock, or at once with the error an
 *   alarm or a stop sends through the task token;
 * - the hooks' Wait states take no time, and the hooks task first sleeps on the virtual clock until the
 *   hooks are due.
 * - AwaitApproval, a callback too, likewise: the approval's own timeout on the virtual clock, or at once
 *   what an approve, a reject, a stop or an alarm sends through the token.
 * Each execution keeps a numbered log of its state events, stamped with the virtual clock, in the shape
 * GetExecutionHistory's are given on AWS (`LocalExecutionHistory`).
 */
import './polyfill.ts';
import type { StateMachine as StateMachineType } from 'aws-local-stepfunctions';
import {
  type AwaitMembersInput,
  awaitMembers,
  commitRelease,
  endRelease,
  prepareRelease,
  type ReleaseContext,
  rollBackRelease,
  startWave,
} from '../functions/api/release-workflow.ts';
import { StepShiftError, ValidationError } from '../functions/core/errors.ts';
import type { HookEvent } from '../functions/core/group-config.ts';
import { EXECUTION_TIMEOUT_SECONDS } from '../functions/core/limits.ts';
import { RELEASE_STATE, STATE } from '../functions/core/states.ts';
import type {
  ExecutionEvent,
  ExecutionHistory,
  ExecutionInput,
  ExecutionPage,
  ExecutionRef,
  ExecutionStatus,
  ReleaseInput,
  WorkflowStarter,
} from '../functions/ports.ts';
import { awaitApproval } from '../functions/tasks/await-approval.ts';
import { bake } from '../functions/tasks/bake.ts';
import type { TaskContext } from '../functions/tasks/context.ts';
import { finalize, scaleDownOld } from '../functions/tasks/finalize.ts';
import { checkSteady, install, STEADY_POLL_SECONDS, testTraffic } from '../functions/tasks/install.ts';
import { prepare } from '../functions/tasks/prepare.ts';
import { awaitRelease } from '../functions/tasks/release.ts';
import { type CaughtError, rollback } from '../functions/tasks/rollback.ts';
import { runHooks } from '../functions/tasks/run-hooks.ts';
import { shiftTraffic } from '../functions/tasks/shift-traffic.ts';
import type { LocalBakeSignals } from './bake-signals.ts';
import type { LocalClock } from './clock.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  LOCAL_WAITS,
  localDefinition,
  localReleaseDefinition,
} from './definition.ts';

const { StateMachine } = (await import('aws-local-stepfunctions')) as {
  StateMachine: typeof StateMachineType;
};

/** An error the engine matches by name in Retry and Catch, as AWS does with Lambda's errorType. */
class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface ExecutionRecord {
  name: string;
  arn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  error?: string;
  cause?: string;
  transitions: number;
  /** The state events so far, numbered from 1, oldest first. */
  history: ExecutionEvent[];
  done: Promise<void>;
}

/** The part of the engine's event log that local mode reads. */
export interface EngineEvent {
  type: string;
  timestamp?: number;
  state?: { name: string; type?: string; input?: unknown; output?: unknown };
  /** StateFailed and ExecutionFailed: the error's name and cause, as the engine gives them. */
  Error?: string;
  Cause?: unknown;
  /** @deprecated never set by the engine (it gives `Error` and `Cause`); kept for the readers that look at both. */
  error?: string;
  /** @deprecated as `error`. */
  cause?: unknown;
}

/** The engine's event types that map one to one onto the shared ones. */
const SAME: Partial<Record<string, ExecutionEvent['type']>> = {
  ExecutionStarted: 'ExecutionStarted',
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionAborted: 'ExecutionAborted',
  ExecutionTimeout: 'ExecutionTimedOut',
  StateEntered: 'StateEntered',
  StateExited: 'StateExited',
  StateFailed: 'StateFailed',
  StateRetried: 'StateRetried',
  StateCaught: 'StateCaught',
};

/**
 * An engine event as the shared execution event, or undefined for one AWS's history has no counterpart
 * for. Two of the engine's differ from AWS's history, and are dropped so both modes read alike:
 * - a Fail state "fails" (AWS: `FailStateEntered`, then `ExecutionFailed`);
 * - a state whose error was caught also exits (AWS: the state's exit *is* the catch: `StateCaught`).
 * Map and Parallel iterations are not in the workflow. `previous` is the last event logged.
 *
 * @example {type: 'StateFailed', state: {name: 'Bake', type: 'Task'}, Error: 'States.Timeout'}
 *   → {type: 'StateFailed', state: 'Bake', error: 'States.Timeout', …}
 */
export function executionEventOf(
  event: EngineEvent,
  previous: ExecutionEvent | undefined,
  id: number,
  timestamp: string,
): ExecutionEvent | undefined {
  const type = SAME[event.type];
  if (!type) return undefined;
  const state = event.state?.name;
  if (type === 'StateFailed' && event.state?.type === 'Fail') return undefined;
  if (type === 'StateExited' && previous?.type === 'StateCaught' && previous.state === state)
    return undefined;
  const cause =
    event.Cause === undefined || event.Cause === null
      ? undefined
      : typeof event.Cause === 'string'
        ? event.Cause
        : JSON.stringify(event.Cause);
  return {
    id,
    timestamp,
    type,
    ...(state !== undefined && type.startsWith('State') ? { state } : {}),
    ...(event.Error ? { error: event.Error } : {}),
    ...(cause ? { cause } : {}),
  };
}

export type TransitionListener = (execution: string, event: EngineEvent) => void;
export type EndListener<I = ExecutionInput> = (execution: ExecutionRecord, input: I) => void | Promise<void>;

/**
 * One state machine in the local engine: executions by name, their logs, and the waits they spend on the
 * virtual clock — what the deployment workflow and the release workflow share. Each subclass gives its
 * definition and its handlers by state name.
 */
abstract class LocalMachine<I extends object> implements WorkflowStarter<I> {
  private readonly machine: StateMachineType;
  private readonly executions = new Map<string, ExecutionRecord & { abort: () => void }>();
  private readonly listeners = new Set<TransitionListener>();
  private readonly endListeners = new Set<EndListener<I>>();
  protected readonly inflight = new Set<Promise<unknown>>();
  protected readonly shutdown = new AbortController();
  /** Executions not yet ended (their end listeners included), and how many of them wait on the clock. */
  private live = 0;
  private waiting = 0;
  /** Numbers the callback waits that need a token of their own (one per wait, as AWS gives). */
  private tokens = 0;

  constructor(
    protected readonly clock: LocalClock,
    protected readonly signals: LocalBakeSignals,
    definition: Record<string, unknown>,
    /** The state machine's name in execution ARNs. */
    private readonly machineName: string,
    options: { validate?: boolean } = {},
  ) {
    this.machine = new StateMachine(structuredClone(definition) as never, {
      validationOptions: { noValidate: options.validate !== true },
    });
  }

  /** The task handlers of one execution, by state name; `token` is the execution's callback token. */
  protected abstract handlers(token: string): Record<string, (input: unknown) => Promise<unknown>>;
  /** Wait states that take no time locally. */
  protected waits(): readonly string[] {
    return [];
  }

  onTransition(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when an execution ends, however it ends; `done` waits for the listeners. */
  onEnd(listener: EndListener<I>): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  execution(name: string): ExecutionRecord | undefined {
    return this.executions.get(name);
  }

  /** Starts an execution; a name already used starts nothing, as StartExecution. */
  async start(name: string, input: I): Promise<{ executionArn: string }> {
    const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${this.machineName}:${name}`;
    if (this.executions.has(name)) return { executionArn: arn };
    const token = `local:${name}`;
    const handlers = this.handlers(token);
    const run = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: Object.fromEntries(this.waits().map((state) => [state, 0])),
        retryIntervalOverrides: Object.fromEntries(
          Object.keys(handlers).map((state) => [state, Math.ceil(this.clock.real(1000))]),
        ),
      },
      context: { Execution: { Id: arn, Name: name, Input: input as never }, Task: { Token: token } },
    });
    const record: ExecutionRecord & { abort: () => void } = {
      name,
      arn,
      status: 'RUNNING',
      transitions: 0,
      history: [],
      abort: run.abort,
      done: Promise.resolve(),
    };
    const follow = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') record.transitions += 1;
        const logged = executionEventOf(
          event as EngineEvent,
          record.history.at(-1),
          record.history.length + 1,
          new Date(this.clock.now()).toISOString(),
        );
        if (logged) record.history.push(logged);
        for (const listener of this.listeners) listener(name, event as EngineEvent);
      }
    })();
    record.done = run.result
      .then(
        async () => {
          record.status = 'SUCCEEDED';
          await follow.catch(() => undefined);
        },
        async (e: unknown) => {
          const err = e as { name?: string; message?: string; cause?: unknown };
          record.status = err?.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
          const failure = (err?.cause ?? err) as {
            error?: string;
            cause?: string;
            message?: string;
            name?: string;
          };
          record.error = failure?.error ?? failure?.name ?? 'Error';
          record.cause = failure?.cause ?? failure?.message ?? String(e);
          await follow.catch(() => undefined);
        },
      )
      .then(async () => {
        for (const listener of this.endListeners) await listener(record, input);
      });
    this.live += 1;
    record.done = record.done.finally(() => {
      this.live -= 1;
      this.clock.poke?.();
    });
    this.executions.set(name, record);
    return { executionArn: arn };
  }

  /** True while some execution is doing something other than waiting on the clock. */
  busy(): boolean {
    return this.live > this.waiting;
  }

  /** Waits on the clock on behalf of an execution, so that `busy()` knows it is only waiting. */
  protected async asleep<T>(wait: Promise<T>): Promise<T> {
    this.waiting += 1;
    try {
      return await wait;
    } finally {
      this.waiting -= 1;
    }
  }

  /**
   * Shutdown: ends the local waits (bakes, hook polls) and aborts every running execution. Their
   * deployments are rolled back at the next start.
   */
  abortAll(): void {
    this.shutdown.abort(new StepShiftError('local mode is stopping'));
    for (const e of this.executions.values()) if (e.status === 'RUNNING') e.abort();
  }

  /** Resolves when every execution has ended and no task handler is still running. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.executions.values()].map((e) => e.done));
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /**
   * A handler the engine runs for a state. The engine may drop a handler's promise when the state fails
   * another way: it is marked handled so a late rejection cannot take the process down; the engine still
   * sees it through its own handler.
   */
  protected task<In, T>(fn: (input: In) => Promise<T>): (input: unknown) => Promise<T> {
    return (input: unknown) => {
      const p = fn(input as In);
      this.inflight.add(p);
      p.catch(() => undefined).finally(() => this.inflight.delete(p));
      return p;
    };
  }

  /** A token for one callback wait: what AWS gives each entry of a callback state. */
  protected freshToken(token: string): string {
    this.tokens += 1;
    return `${token}:${this.tokens}`;
  }

  /** A callback task's wait: the token's success or failure, or States.Timeout after `seconds` virtual. */
  protected async untilSignalled(
    token: string,
    seconds: number,
    elapsed: string,
  ): Promise<Record<string, never>> {
    const abort = new AbortController();
    let unregister = () => {};
    const signalled = new Promise<Record<string, never>>((resolve, reject) => {
      unregister = this.signals.register(token, {
        fail: (error, cause) => reject(new NamedError(error, cause)),
        succeed: () => resolve({}),
      });
    });
    try {
      return await this.asleep(
        Promise.race([
          signalled,
          this.clock.sleep(seconds * 1000, AbortSignal.any([abort.signal, this.shutdown.signal])).then(() => {
            throw new NamedError('States.Timeout', elapsed);
          }),
        ]),
      );
    } finally {
      unregister();
      abort.abort(new StepShiftError('callback ended'));
    }
  }
}

/** The deployment workflow, statemachines/deployment.asl.json. */
export class LocalWorkflow extends LocalMachine<ExecutionInput> {
  constructor(
    private readonly ctx: TaskContext,
    clock: LocalClock,
    signals: LocalBakeSignals,
    options: { validate?: boolean } = {},
  ) {
    super(clock, signals, localDefinition(), 'stepshift-deployment', options);
  }

  protected override waits(): readonly string[] {
    return LOCAL_WAITS;
  }

  protected override handlers(token: string) {
    const ctx = this.ctx;
    type In = { deploymentId: string; stepIndex?: number; lifecycleEvent?: HookEvent; error?: never };
    const task = <T>(fn: (input: In) => Promise<T>) => this.task(fn);
    const hooks = task(async (input) => {
      await this.untilHooksDue(input.deploymentId, input.lifecycleEvent as HookEvent);
      return runHooks(ctx, {
        deploymentId: input.deploymentId,
        lifecycleEvent: input.lifecycleEvent as HookEvent,
      });
    });
    return {
      [STATE.Prepare]: task((i) => prepare(ctx, i)),
      [STATE.BeforeAllowTraffic]: hooks,
      [STATE.AfterAllowTraffic]: hooks,
      [STATE.ShiftTraffic]: task((i) =>
        shiftTraffic(ctx, { deploymentId: i.deploymentId, stepIndex: i.stepIndex ?? 0 }),
      ),
      [STATE.AwaitApproval]: task((i) =>
        this.localApproval(i as unknown as { Payload: ApprovalPayload }, token),
      ),
      [STATE.Bake]: task((i) => this.localBake(i as unknown as { Payload: BakePayload }, token)),
      [STATE.FinalBake]: task((i) => this.localBake(i as unknown as { Payload: BakePayload }, token)),
      [STATE.AwaitRelease]: task((i) =>
        this.localAwaitRelease(i as unknown as { Payload: BakePayload }, this.freshToken(token)),
      ),
      [STATE.Finalize]: task((i) => finalize(ctx, i)),
      [STATE.RollBack]: task((i) => rollback(ctx, i as never)),
      [STATE.BeforeInstall]: hooks,
      [STATE.AfterInstall]: hooks,
      [STATE.AfterAllowTestTraffic]: hooks,
      [STATE.Install]: task((i) => install(ctx, i)),
      // WaitForSteady takes no time locally: the check first waits its 15 s on the virtual clock.
      [STATE.CheckSteady]: task(async (i) => {
        await this.asleep(this.clock.sleep(STEADY_POLL_SECONDS * 1000, this.shutdown.signal));
        return checkSteady(ctx, i);
      }),
      [STATE.TestTraffic]: task((i) => testTraffic(ctx, i)),
      [STATE.TerminationWait]: task((i) => this.localBake(i as unknown as { Payload: BakePayload }, token)),
      [STATE.ScaleDownOld]: task((i) => scaleDownOld(ctx, i)),
    };
  }

  private async untilHooksDue(deploymentId: string, event: HookEvent): Promise<void> {
    const progress = await this.ctx.store.hookProgress(deploymentId, event);
    const waiting = progress?.filter((p) => p.status === 'InProgress' && p.nextPollAt) ?? [];
    if (waiting.length === 0) return;
    const due = Math.min(...waiting.map((p) => Date.parse(p.nextPollAt ?? '')));
    await this.asleep(this.clock.sleepUntil(due, this.shutdown.signal));
  }

  /** What AWS does for the callback bake: wait the bake time unless the token is used first. */
  private async localBake(input: { Payload: BakePayload }, token: string): Promise<Record<string, never>> {
    const payload = input.Payload;
    const { outcome } = await bake(this.ctx, { ...payload, taskToken: token });
    if (outcome === 'skip') return {};
    return this.untilSignalled(token, payload.bakeSeconds, `bake of ${payload.bakeSeconds} s elapsed`);
  }

  /** What AWS does for a release member's commit point: wait until its release commits or stops it. */
  private async localAwaitRelease(
    input: { Payload: BakePayload },
    token: string,
  ): Promise<Record<string, never>> {
    const { outcome } = await awaitRelease(this.ctx, {
      deploymentId: input.Payload.deploymentId,
      taskToken: token,
    });
    if (outcome === 'skip') return {};
    return this.untilSignalled(token, EXECUTION_TIMEOUT_SECONDS, 'its release did not commit in time');
  }

  /** What AWS does for AwaitApproval: wait the approval's timeout unless the token is used first. */
  private async localApproval(
    input: { Payload: ApprovalPayload },
    token: string,
  ): Promise<Record<string, never>> {
    const payload = input.Payload;
    await awaitApproval(this.ctx, { ...payload, taskToken: token });
    return this.untilSignalled(
      token,
      payload.timeoutSeconds,
      `no approval within ${payload.timeoutSeconds} s`,
    );
  }
}

/**
 * The release workflow, statemachines/release.asl.json: its task states run the release tasks; its
 * callback states (AwaitWave, AwaitEnd, AwaitRollback) record a token of their own and wait until a
 * member change, a stop or the commit ends them through it — as on AWS.
 */
export class LocalReleaseWorkflow extends LocalMachine<ReleaseInput> {
  constructor(
    private readonly ctx: ReleaseContext,
    clock: LocalClock,
    signals: LocalBakeSignals,
    options: { validate?: boolean } = {},
  ) {
    super(clock, signals, localReleaseDefinition(), 'stepshift-release', options);
  }

  protected override handlers(token: string) {
    const ctx = this.ctx;
    type In = { releaseId: string; wave?: number; error?: CaughtError };
    const task = <T>(fn: (input: In) => Promise<T>) => this.task(fn);
    const awaiting = task(async (i) => {
      const payload = (i as unknown as { Payload: Omit<AwaitMembersInput, 'taskToken'> }).Payload;
      const own = this.freshToken(token);
      await awaitMembers(ctx, { ...payload, taskToken: own });
      return this.untilSignalled(own, RELEASE_WAIT_SECONDS, 'the members did not report in time');
    });
    return {
      [RELEASE_STATE.PrepareRelease]: task((i) => prepareRelease(ctx, i)),
      [RELEASE_STATE.StartWave]: task((i) => startWave(ctx, { releaseId: i.releaseId, wave: i.wave ?? 0 })),
      [RELEASE_STATE.AwaitWave]: awaiting,
      [RELEASE_STATE.Commit]: task((i) => commitRelease(ctx, i)),
      [RELEASE_STATE.AwaitEnd]: awaiting,
      [RELEASE_STATE.RollBackRelease]: task((i) =>
        rollBackRelease(ctx, { releaseId: i.releaseId, ...(i.error ? { error: i.error } : {}) }),
      ),
      [RELEASE_STATE.AwaitRollback]: awaiting,
      [RELEASE_STATE.EndRelease]: task((i) => endRelease(ctx, i)),
    };
  }
}

/** The release workflow's waits: a member's execution's limit, and a little for its rollback. */
const RELEASE_WAIT_SECONDS = EXECUTION_TIMEOUT_SECONDS + 300;

interface ApprovalPayload {
  deploymentId: string;
  stepIndex: number;
  /** The callback's timeout: the pause's own, or the execution's limit. */
  timeoutSeconds: number;
}

interface BakePayload {
  deploymentId: string;
  stepIndex: number;
  bakeSeconds: number;
  purpose?: 'TerminationWait';
}

/** How many events one page of the local history holds: GetExecutionHistory's largest page. */
export const LOCAL_HISTORY_PAGE = 1000;

const END_STATUS: Partial<Record<ExecutionEvent['type'], ExecutionStatus>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

/**
 * The executions' logs as the ExecutionHistory port: pages of 1000, the token the offset of the next
 * page. The status is read from the log itself (RUNNING until its end is logged), so that a page never
 * says an execution ended without the event that ended it. The logs live in memory: after a restart,
 * earlier executions answer NOT_STARTED.
 */
export class LocalExecutionHistory implements ExecutionHistory {
  constructor(private readonly workflow: Pick<LocalWorkflow, 'execution'>) {}

  async page(execution: ExecutionRef, nextToken?: string): Promise<ExecutionPage> {
    const offset = nextToken === undefined ? 0 : Number(nextToken);
    if (!/^\d{1,9}$/.test(nextToken ?? '0') || !Number.isSafeInteger(offset)) {
      throw new ValidationError('invalid query', [
        {
          path: 'nextToken',
          message: 'is not a page token of this API: pass the nextToken of the previous page as it was given',
        },
      ]);
    }
    const record = this.workflow.execution(execution.name);
    if (!record) return { status: 'NOT_STARTED', events: [] };
    const log = record.history;
    const last = log.at(-1);
    const next = offset + LOCAL_HISTORY_PAGE;
    return {
      status: (last && END_STATUS[last.type]) ?? 'RUNNING',
      executionArn: record.arn,
      events: log.slice(offset, next),
      ...(next < log.length ? { nextToken: String(next) } : {}),
    };
  }
}
