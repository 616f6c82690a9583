/**
 * The execution's state events from Step Functions: `DescribeExecution` for the status, then one page of
 * `GetExecutionHistory` (no input or output data, 1000 events at most), mapped to the events both modes
 * share (ExecutionEvent in ../ports.ts).
 *
 * AWS records a state's visit as `<Type>StateEntered`, the work's own events (`LambdaFunctionScheduled`,
 * `TaskSubmitted`, `LambdaFunctionFailed`, `TaskTimedOut`, …) and `<Type>StateExited`
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html). A failure event
 * names no state: it belongs to the state last entered, which is why a page has to know which state the
 * previous page left off in. A retry has no event of its own either: it is the work scheduled again after
 * a failure, and a Catch is the state exited after a failure (then `StateCaught`, not `StateExited`).
 * A Lambda function's error cause is given as its message, as local mode gives it.
 *
 * The page token is stepshift's: AWS's `nextToken` with the state the page ended in (and whether its last
 * event was a failure), as base64url JSON. AWS asks that a token be passed back with "all other
 * arguments unchanged" and expires it after 24 hours; an expired or foreign token is the caller's 400.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { ValidationError } from '../core/errors.ts';
import type {
  ExecutionEvent,
  ExecutionHistory,
  ExecutionPage,
  ExecutionRef,
  ExecutionStatus,
} from '../ports.ts';
import { call } from './errors.ts';

/** GetExecutionHistory's largest page. */
export const HISTORY_PAGE_SIZE = 1000;

/** What one page hands the next: the state the history is in, and whether it just failed there. */
export interface HistoryCarry {
  state?: string;
  failed?: boolean;
}

/** The work of a state failing: its details (`<type>EventDetails`) hold `error` and `cause`. */
const FAILURES = new Set([
  'ActivityFailed',
  'ActivityScheduleFailed',
  'ActivityTimedOut',
  'EvaluationFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionScheduleFailed',
  'LambdaFunctionStartFailed',
  'LambdaFunctionTimedOut',
  'MapStateFailed',
  'ParallelStateFailed',
  'TaskFailed',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'TaskTimedOut',
]);

/** The work of a state being scheduled: after a failure in that state, a retry. */
const SCHEDULED = new Set(['ActivityScheduled', 'LambdaFunctionScheduled', 'TaskScheduled']);

const EXECUTION_EVENTS = new Set([
  'ExecutionStarted',
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

const ENDED: Partial<Record<string, ExecutionStatus>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

/** What an event's details say that matters here; each field is absent or a non-empty string. */
interface Details {
  name?: string;
  error?: string;
  cause?: string;
  /** EvaluationFailed names its state. */
  state?: string;
}

/**
 * The event's details: AWS puts what each type carries in `<type>EventDetails` (`taskTimedOutEventDetails`),
 * except that every `<Kind>StateEntered` / `<Kind>StateExited` shares `stateEntered…` / `stateExited…`.
 */
function detailsOf(event: HistoryEvent): Details {
  const type = event.type ?? '';
  const key = type.endsWith('StateEntered')
    ? 'stateEnteredEventDetails'
    : type.endsWith('StateExited')
      ? 'stateExitedEventDetails'
      : `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
  const raw = (event as unknown as Record<string, unknown>)[key];
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const text = (k: string) => (typeof r[k] === 'string' && r[k] !== '' ? { [k]: r[k] as string } : {});
  return { ...text('name'), ...text('error'), ...text('cause'), ...text('state') };
}

/**
 * A Lambda function's error reaches the history as Lambda reports it, JSON
 * (`{"errorType": …, "errorMessage": …, "trace": […]}`); the local engine gives the message alone. The
 * message it is, in both modes. Any other cause (a Fail state's, SendTaskFailure's) is kept as it is.
 *
 * @example messageOf('{"errorType":"HookFailed","errorMessage":"smoke failed"}') → 'smoke failed'
 */
export function messageOf(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown } | null;
    if (typeof parsed?.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause as given
  }
  return cause;
}

/**
 * AWS's events as stepshift's, given what the previous page left off in; returns what this page leaves
 * off in. Events of no interest to a state's colour (`LambdaFunctionStarted`, `TaskSubmitted`, a Map's
 * iterations, a state aborted with its execution) are left out.
 *
 * @example [TaskStateEntered Bake, TaskScheduled, TaskTimedOut States.Timeout, TaskStateExited Bake]
 *   → [StateEntered Bake, StateFailed Bake States.Timeout, StateCaught Bake]
 */
export function normalizeHistory(
  events: readonly HistoryEvent[],
  carry: HistoryCarry = {},
): { events: ExecutionEvent[]; carry: HistoryCarry } {
  let { state, failed = false } = carry;
  const out: ExecutionEvent[] = [];
  for (const event of events) {
    const type = event.type ?? '';
    const details = detailsOf(event);
    const base = {
      id: Number(event.id ?? 0),
      timestamp: (event.timestamp ?? new Date(0)).toISOString(),
    };
    const cause = details.cause === undefined ? undefined : messageOf(details.cause);
    const failure = {
      ...(details.error ? { error: details.error } : {}),
      ...(cause ? { cause } : {}),
    };
    if (type.endsWith('StateEntered')) {
      state = details.name;
      failed = false;
      out.push({ ...base, type: 'StateEntered', ...(state ? { state } : {}) });
    } else if (type.endsWith('StateExited')) {
      const name = details.name ?? state;
      out.push({
        ...base,
        type: failed && name === state ? 'StateCaught' : 'StateExited',
        ...(name ? { state: name } : {}),
      });
      failed = false;
    } else if (FAILURES.has(type)) {
      const name = details.state ?? state;
      out.push({ ...base, type: 'StateFailed', ...(name ? { state: name } : {}), ...failure });
      failed = true;
    } else if (SCHEDULED.has(type) && failed) {
      out.push({ ...base, type: 'StateRetried', ...(state ? { state } : {}) });
      failed = false;
    } else if (EXECUTION_EVENTS.has(type)) {
      out.push({ ...base, type: type as ExecutionEvent['type'], ...failure });
    }
  }
  return {
    events: out,
    carry: { ...(state !== undefined ? { state } : {}), ...(failed ? { failed } : {}) },
  };
}

interface Cursor extends HistoryCarry {
  token: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

const badToken = (why: string) =>
  new ValidationError('invalid query', [
    { path: 'nextToken', message: `${why}: pass the nextToken of the previous page as it was given` },
  ]);

export function decodeCursor(text: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badToken('is not a page token of this API');
  }
  const c = parsed as Partial<Cursor> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.token !== 'string' ||
    c.token === '' ||
    (c.state !== undefined && typeof c.state !== 'string') ||
    (c.failed !== undefined && typeof c.failed !== 'boolean')
  ) {
    throw badToken('is not a page token of this API');
  }
  return {
    token: c.token,
    ...(c.state !== undefined ? { state: c.state } : {}),
    ...(c.failed ? { failed: true } : {}),
  };
}

/** `arn:…:stateMachine:NAME` + `d-1` → `arn:…:execution:NAME:d-1`, as StartExecution names it. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const errorName = (e: unknown) => (e as { name?: string } | null)?.name;

export class StepFunctionsExecutionHistory implements ExecutionHistory {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async page(execution: ExecutionRef, nextToken?: string): Promise<ExecutionPage> {
    const cursor = nextToken === undefined ? undefined : decodeCursor(nextToken);
    const executionArn = execution.arn ?? executionArnOf(this.stateMachineArn, execution.name);
    let status: ExecutionStatus;
    try {
      const described = await call('DescribeExecution', () =>
        this.client.send(new DescribeExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' })),
      );
      // PENDING_REDRIVE: a redrive is starting the execution again.
      status = described.status === 'PENDING_REDRIVE' ? 'RUNNING' : (described.status ?? 'RUNNING');
    } catch (e) {
      if (errorName(e) === 'ExecutionDoesNotExist') return { status: 'NOT_STARTED', events: [] };
      throw e;
    }
    let out: GetExecutionHistoryCommandOutput;
    try {
      out = await call('GetExecutionHistory', () =>
        this.client.send(
          new GetExecutionHistoryCommand({
            executionArn,
            includeExecutionData: false,
            maxResults: HISTORY_PAGE_SIZE,
            ...(cursor ? { nextToken: cursor.token } : {}),
          }),
        ),
      );
    } catch (e) {
      if (errorName(e) === 'InvalidToken') throw badToken('has expired or belongs to another execution');
      throw e;
    }
    const { events, carry } = normalizeHistory(out.events ?? [], cursor);
    // DescribeExecution is eventually consistent: the history's own end wins.
    const ended = [...events].reverse().find((e) => ENDED[e.type]);
    return {
      status: (ended && ENDED[ended.type]) ?? status,
      executionArn,
      events,
      ...(out.nextToken ? { nextToken: encodeCursor({ token: out.nextToken, ...carry }) } : {}),
    };
  }
}
