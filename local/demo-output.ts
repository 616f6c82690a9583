/**
 * What `npm start` prints, as pure functions of what the printer has read: the banner, the block that
 * opens each deployment, one table row per task state as it ends (with the traffic on the new revision
 * at that moment, so a row for ShiftTraffic shows the percent it set), a row when a wait begins (a bake,
 * the ECS termination wait), hook statuses and reasons, the state-change notifications and the summary.
 *
 * @example
 *   TIME        GROUP       STATE                  ON NEW  DETAIL
 *   T+1m 47s    orders-api  ShiftTraffic             10 %  step 1 of 2
 *   T+1m 56s    orders-api  Bake                     10 %  baking 5m at 10 %, until T+6m 56s
 */
import { type Deployment, describeRouting, type TimelineEntry } from '../functions/core/deployment.ts';
import { formatDuration } from '../functions/core/duration.ts';
import { STEADY_POLL_SECONDS } from '../functions/core/limits.ts';
import { STATE } from '../functions/core/states.ts';
import { wordsOf } from '../functions/platforms/index.ts';
import type { HookProgress, StateChange } from '../functions/ports.ts';
import { causeOf } from '../functions/tasks/rollback.ts';
import { DEFAULT_PORT } from './server.ts';

/** The states the demo prints a row for: every Task state of the workflow. */
export const TASK_STATES: ReadonlySet<string> = new Set([
  STATE.Prepare,
  STATE.BeforeInstall,
  STATE.Install,
  STATE.CheckSteady,
  STATE.AfterInstall,
  STATE.TestTraffic,
  STATE.AfterAllowTestTraffic,
  STATE.BeforeAllowTraffic,
  STATE.ShiftTraffic,
  STATE.Bake,
  STATE.FinalBake,
  STATE.AfterAllowTraffic,
  STATE.Finalize,
  STATE.TerminationWait,
  STATE.ScaleDownOld,
  STATE.RollBack,
]);

/** The Task states that run a lifecycle event's hooks: named after the event. */
export const HOOK_STATES: ReadonlySet<string> = new Set([
  STATE.BeforeInstall,
  STATE.AfterInstall,
  STATE.AfterAllowTestTraffic,
  STATE.BeforeAllowTraffic,
  STATE.AfterAllowTraffic,
]);

/** The Task states that wait on the clock: announced with their length when they begin. */
export const WAIT_STATES: ReadonlySet<string> = new Set([STATE.Bake, STATE.FinalBake, STATE.TerminationWait]);

const TIME_WIDTH = 10;
const STATE_WIDTH = 'AfterAllowTestTraffic'.length;
const PERCENT_WIDTH = 'ON NEW'.length;

export interface Layout {
  groupWidth: number;
}

/** Wide enough for every group of the config (and the header). */
export function layoutFor(groups: readonly string[]): Layout {
  return { groupWidth: Math.max('GROUP'.length, ...groups.map((g) => g.length)) };
}

export function tableHeader(layout: Layout): string {
  return columns(layout, 'TIME', 'GROUP', 'STATE', 'ON NEW', 'DETAIL');
}

/** One row of the table; on the virtual clock. */
export interface Row {
  /** When it happened, and when the deployment was created (ms). */
  at: number;
  since: number;
  group: string;
  state: string;
  /** Traffic on the new revision, as read at `at`; absent when it could not be read. */
  percent: number | undefined;
  /** The detail column: the first on the row, the others each on a line of its own below it. */
  details: readonly string[];
}

/**
 * @example formatRow({groupWidth: 10}, {at: 107_000, since: 0, group: 'orders-api', state: 'ShiftTraffic',
 *   percent: 10, details: ['step 1 of 2']}) → ['  T+1m 47s   orders-api  ShiftTraffic             10 %  step 1 of 2']
 */
export function formatRow(layout: Layout, row: Row): string[] {
  const [first = '', ...rest] = row.details;
  const percent = row.percent === undefined ? '' : `${row.percent} %`;
  const line = columns(layout, elapsed(row.at, row.since), row.group, row.state, percent, first);
  const indent = ' '.repeat(line.length - first.length);
  return [line.trimEnd(), ...rest.map((d) => `${indent}${d}`)];
}

function columns(layout: Layout, time: string, group: string, state: string, pct: string, detail: string) {
  return `  ${time.padEnd(TIME_WIDTH)}  ${group.padEnd(layout.groupWidth)}  ${state.padEnd(STATE_WIDTH)}  ${pct.padStart(PERCENT_WIDTH)}  ${detail}`;
}

const elapsed = (at: number, since: number) => `T+${formatDuration(Math.max(0, at - since) / 1000)}`;

/** The state column of an analysis run's row: not a state of the workflow, so not capitalised as one. */
export const ANALYSIS_ROW = 'analysis';

/**
 * The rows of canary analysis runs, from the `analysis` entries of the deployment's timeline: one row per
 * run (the measurements of one window, then its notes), each check's verdict with its numbers — the revision's value and
 * samples, the baseline's, the bound — as `runAnalysis` recorded them. `percent` stands in for an entry
 * that does not say its own (a note).
 *
 * @example analysisRows({groupWidth: 8}, 'checkout', 0, [{at: '1970-01-01T00:02:20.000Z', kind: 'analysis',
 *   message: 'errors Failed: errorRate 4.10 % over 812 samples > 1.25 % (…)', details: {percent: 10}}], 10)
 *   → ['  T+2m 20s    checkout  analysis                 10 %  errors Failed: errorRate 4.10 % over 812 samples > 1.25 % (…)']
 */
export function analysisRows(
  layout: Layout,
  group: string,
  since: number,
  entries: readonly TimelineEntry[],
  percent: number | undefined,
): string[] {
  // One run's entries are written one after another — on the clock for people, virtual seconds apart at a
  // high speed — but share the window they measured; its notes come last, without one.
  const runs: { at: number; window: unknown; run: TimelineEntry[] }[] = [];
  for (const e of entries) {
    if (e.kind !== 'analysis') continue;
    const window = JSON.stringify(e.details?.window ?? null);
    const last = runs.at(-1);
    if (last && (window === 'null' || window === last.window)) last.run.push(e);
    else runs.push({ at: Date.parse(e.at), window, run: [e] });
  }
  return runs.flatMap(({ at, run }) =>
    formatRow(layout, {
      at,
      since,
      group,
      state: ANALYSIS_ROW,
      percent: run.map((e) => num(e.details?.percent)).find((p) => p !== undefined) ?? percent,
      details: run.map((e) => e.message),
    }),
  );
}

/** What the printer knows when a Task state ends (StateExited, after a StateFailed when it failed). */
export interface StateEnd {
  state: string;
  /** The state's input and output, as the engine reports them (the workflow's JSON). */
  input?: unknown;
  output?: unknown;
  /** The error the state failed with, caught or about to be retried. */
  failure?: { error: string; cause: string };
  /** The state is retried after `failure`. */
  retrying?: boolean;
  deployment?: Pick<Deployment, 'alarms' | 'status' | 'lastRouting'>;
  /** A hook state's progress as stored after this call, and as it was at the previous call. */
  hooks?: readonly HookProgress[];
  previousHooks?: readonly HookProgress[];
}

/**
 * The detail column of a Task state's row: what the state did, read from its output, its hooks or its
 * error.
 *
 * @example endDetails({state: 'Bake', input: {shift: {bakeSeconds: 300}},
 *   failure: {error: 'States.Timeout', cause: 'bake of 300 s elapsed'}}) → ['baked 5m']
 */
export function endDetails(end: StateEnd): string[] {
  const hooks = HOOK_STATES.has(end.state) ? hookDetails(end) : [];
  const { failure } = end;
  if (failure) {
    // The bake and the termination wait end this way when their time is up: AWS's timeout of the callback.
    if (failure.error === 'States.Timeout' && WAIT_STATES.has(end.state))
      return [
        `${end.state === 'TerminationWait' ? 'waited' : 'baked'} ${formatDuration(waitSeconds(end) ?? 0)}`,
      ];
    // A hook's own failure is already on its line; the workflow's error would only repeat it.
    if (failure.error === 'HookFailed' && !end.retrying && end.hooks?.some((h) => h.status === 'Failed'))
      return hooks;
    return [...hooks, `✗ ${failure.error}: ${causeOf(failure.cause)}${end.retrying ? ' — retrying' : ''}`];
  }
  const output = record(end.output);
  switch (end.state) {
    case 'Prepare': {
      const steps = num(record(output.plan).stepCount);
      return steps === undefined ? [] : [`${steps} step${steps === 1 ? '' : 's'} to shift`];
    }
    case 'ShiftTraffic': {
      // The shift checks the alarms before and after it (decision 0008): say which it found not in ALARM.
      const index = num(record(output.shift).stepIndex);
      const steps = num(record(output.plan).stepCount);
      const alarms = end.deployment?.alarms ?? [];
      return [
        ...(index === undefined ? [] : [`step ${index + 1}${steps === undefined ? '' : ` of ${steps}`}`]),
        alarms.length === 0 ? 'no alarms watched' : `not in ALARM: ${alarms.join(', ')}`,
      ];
    }
    case 'Install': {
      const definition = str(record(output.install).taskDefinition);
      return definition ? [`task definition ${definition.slice(definition.lastIndexOf('/') + 1)}`] : [];
    }
    case 'CheckSteady':
      return record(output.steady).steady === false
        ? [`the new service is not steady yet: checking again in ${formatDuration(STEADY_POLL_SECONDS)}`]
        : ['the new service is steady'];
    case 'Bake':
    case 'FinalBake':
    case 'TerminationWait':
      // No timeout and no error: the wait was cut short with success, which only a promote does.
      return ['ended early: promoted'];
    case 'RollBack': {
      // Why is on the state-change lines; here, where the traffic went back to.
      const d = end.deployment;
      if (!d) return [];
      return [`${d.status}${d.lastRouting ? `, routing now ${describeRouting(d.lastRouting)}` : ''}`];
    }
    default:
      return hooks;
  }
}

/**
 * A hook state's details: each hook whose status or reason changed since the previous call, then, while
 * some are still deciding, the wait before the next call.
 */
function hookDetails(end: StateEnd): string[] {
  if (!end.hooks) return end.failure ? [] : ['no hooks'];
  const before = new Map((end.previousHooks ?? []).map((h) => [h.functionName, h]));
  const lines = end.hooks
    .filter((h) => {
      const was = before.get(h.functionName);
      return !was || was.status !== h.status || was.reason !== h.reason;
    })
    .map((h) => `${h.functionName} ${HOOK_STATUS[h.status]}${h.reason ? ` — ${h.reason}` : ''}`);
  const decision = record(record(end.output).hooks);
  const wait = num(decision.waitSeconds);
  if (decision.done === false && wait !== undefined)
    lines.push(`waiting ${formatDuration(wait)}, then asking the hooks again`);
  return lines;
}

const HOOK_STATUS: Record<HookProgress['status'], string> = {
  Pending: 'pending',
  InProgress: 'in progress',
  Succeeded: 'succeeded',
  Failed: 'failed',
};

/**
 * The detail of a wait as it begins, from the state's input; undefined for any other state.
 *
 * @example waitDetail('Bake', {shift: {percent: 10, bakeSeconds: 300}}, 116_000, 0) → 'baking 5m at 10 %, until T+6m 56s'
 */
export function waitDetail(state: string, input: unknown, at: number, since: number): string | undefined {
  const seconds = waitSeconds({ state, input });
  if (seconds === undefined) return undefined;
  const until = elapsed(at + seconds * 1000, since);
  if (state === 'Bake' || state === 'FinalBake') {
    const percent = num(record(record(input).shift).percent);
    return `baking ${formatDuration(seconds)}${percent === undefined ? '' : ` at ${percent} %`}, until ${until}`;
  }
  return `termination wait ${formatDuration(seconds)}: the old service keeps its tasks until ${until}`;
}

/** The length of a bake (its step's bake time) or of the termination wait (the plan's). */
function waitSeconds(end: { state: string; input?: unknown }): number | undefined {
  const input = record(end.input);
  if (end.state === 'Bake' || end.state === 'FinalBake') return num(record(input.shift).bakeSeconds);
  if (end.state === 'TerminationWait') return num(record(input.plan).terminationWaitSeconds);
  return undefined;
}

/**
 * The block that opens a deployment: the title, what goes where, and the table's header. `title` is the
 * demo's own description of it; any other deployment (the CLI, the API, an event) says where it came from.
 */
export function startLines(
  layout: Layout,
  d: Pick<Deployment, 'id' | 'group' | 'kind' | 'revision' | 'configName' | 'description' | 'trigger'>,
  title?: string,
): string[] {
  const revision = `${wordsOf(d.kind).revision} ${d.revision}`;
  const heading =
    title ??
    `${d.description ?? `${revision} of ${d.group}`} (started ${d.trigger ? `by ${d.trigger}` : 'through the API'})`;
  return [
    '',
    `▶ ${heading}`,
    `  ${d.id}: ${revision} → ${d.group} with ${d.configName}`,
    tableHeader(layout),
  ];
}

/** A state-change notification, as the event bus publishes it. */
export function statusLine(
  c: Pick<StateChange, 'deploymentId' | 'previousStatus' | 'status' | 'reason'>,
): string {
  return `  ── ${c.deploymentId} ${c.previousStatus} → ${c.status}${c.reason ? `: ${c.reason}` : ''}`;
}

/**
 * What a notification published to its SNS topic: no topic exists on a laptop, so the demo shows it.
 *
 * @example snsLine({ topicArn: 'arn:aws:sns:us-east-1:000000000000:releases', message: '{"text":"…"}' })
 * → '  ── sns releases: …'
 */
export function snsLine(p: { topicArn: string; message: string }): string {
  const topic = p.topicArn.slice(p.topicArn.lastIndexOf(':') + 1);
  let text = p.message;
  try {
    text = String((JSON.parse(p.message) as { text?: unknown }).text ?? p.message);
  } catch {}
  return `  ── sns ${topic}: ${text}`;
}

export function summaryLines(
  d: Pick<Deployment, 'status' | 'reason' | 'createdAt' | 'endedAt' | 'lastRouting'>,
) {
  const took = d.endedAt ? formatDuration((Date.parse(d.endedAt) - Date.parse(d.createdAt)) / 1000) : '?';
  const routing = d.lastRouting ? describeRouting(d.lastRouting) : 'unchanged';
  return [
    `  ■ ${d.status} after ${took} of virtual time${d.reason ? ` — ${d.reason}` : ''}`,
    `    routing now: ${routing}`,
  ];
}

/** Where the CLI goes without `--url`: STEPSHIFT_URL, else local mode's default port. */
export const DEFAULT_API_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

/**
 * The lines that say where local mode serves, with a CLI command that reaches this server: a bare
 * `npx stepshift list` only where the CLI's default (STEPSHIFT_URL, else port 4477) is this URL.
 *
 * @example servingLines('http://127.0.0.1:5000', undefined) →
 *   ['API on http://127.0.0.1:5000  (try: npx stepshift list --url http://127.0.0.1:5000)',
 *    'Console: http://127.0.0.1:5000/']
 */
export function servingLines(url: string, stepshiftUrl: string | undefined): string[] {
  const trim = (u: string) => u.replace(/\/+$/, '');
  const reached = trim(stepshiftUrl || DEFAULT_API_URL) === trim(url);
  return [
    `API on ${trim(url)}  (try: npx stepshift list${reached ? '' : ` --url ${trim(url)}`})`,
    `Console: ${trim(url)}/`,
  ];
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
