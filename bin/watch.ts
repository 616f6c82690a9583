/**
 * `stepshift status ID --watch`: a deployment followed until it ends, drawn from `GET /deployments/{id}`
 * (`deployment`, `progress`, `hooks`, `alarmStates`, `analysis`). On a terminal the frame is redrawn in place; in a
 * log (CI) each change is one line. The exit code is the outcome, so a pipeline can gate on it:
 * SUCCEEDED → 0; ROLLED_BACK, FAILED, STOPPED → 1.
 *
 * The rendering is pure (body and time in, lines out); `follow` is the loop around it.
 */
import type { AnalysisView } from '../functions/api/views.ts';
import { formatValue } from '../functions/core/analysis.ts';
import { formatDuration } from '../functions/core/duration.ts';
import { ApiError, ApiUnreachable } from './api-client.ts';
import { bar } from './render.ts';

/** The fields of `GET /deployments/{id}` the watch reads (docs: the issue 11 contract). */
export interface WatchBody {
  deployment: {
    id: string;
    group: string;
    revision: string;
    status: string;
    percent: number;
    configName?: string;
    reason?: string;
    executionUrl?: string;
    /** The release it is a member of, and its wave there (from 0). */
    release?: { id: string; wave: number };
    /** Held at its commit point since then, waiting for the release's other members. */
    releaseReadyAt?: string;
  };
  progress?: {
    step: number;
    steps: number;
    percent: number;
    phase: string;
    bakeStartedAt?: string;
    bakeEndsAt?: string;
    nextShiftAt?: string;
    nextPercent?: number;
  };
  hooks?: {
    event: string;
    hooks: {
      functionName: string;
      status: string;
      reason?: string;
      attempts?: number;
      nextPollAt?: string;
    }[];
  }[];
  alarmStates?: { name: string; state: string }[];
  /** Each analysis check of the group (docs/api.md); absent from an API that predates analysis. */
  analysis?: WatchCheck[];
  /** The server's clock, when it says (local mode's clock is virtual, running faster than this one). */
  now?: string;
}

/** An analysis check as `GET /deployments/{id}` words it (the API's own view). */
export type WatchCheck = AnalysisView;

/** The exit code of a status the deployment ends in; undefined while it goes on. */
export function exitCodeOf(status: string): 0 | 1 | undefined {
  if (status === 'SUCCEEDED') return 0;
  if (status === 'ROLLED_BACK' || status === 'FAILED' || status === 'STOPPED' || status === 'CANCELLED')
    return 1;
  return undefined;
}

const LABEL = 12;
export const row = (label: string, text: string) => `  ${label.padEnd(LABEL)} ${text}`;

/** `12:04:05 UTC`: the time of day, as a CI log in any zone reads it alike. */
export function clock(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(11, 19)} UTC`;
}

function secondsUntil(iso: string | undefined, now: number): number | undefined {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - now) / 1000));
}

const PHASES: Record<string, string> = {
  queued: 'queued: waiting for the group',
  starting: 'starting',
  installing: 'installing the revision',
  hooks: 'running hooks',
  shifting: 'shifting traffic',
  baking: 'baking',
  terminationWait: 'termination wait',
  awaitingApproval: 'waiting for approval (stepshift approve|reject)',
  awaitingRelease: 'at its commit point: waiting for its release',
  finishing: 'finishing',
  rollingBack: 'rolling back',
  ended: 'ended',
};

/**
 * How long until `iso`, when that can be trusted: a countdown longer than the wait itself means the
 * clocks disagree (local mode's virtual clock runs ahead of this one, and an API that does not say its
 * `now` leaves only this machine's) — then undefined, and the time of day is said instead.
 */
function countdown(iso: string | undefined, progress: NonNullable<WatchBody['progress']>, now: number) {
  const left = secondsUntil(iso, now);
  const start = Date.parse(progress.bakeStartedAt ?? '');
  const end = Date.parse(progress.bakeEndsAt ?? '');
  const longest = Number.isNaN(start) || Number.isNaN(end) ? undefined : (end - start) / 1000 + 5;
  return left !== undefined && longest !== undefined && left > longest ? undefined : left;
}

/** What is going on now, with the time left of a bake or termination wait. */
function phaseText(progress: NonNullable<WatchBody['progress']>, now: number): string {
  const name = PHASES[progress.phase] ?? progress.phase;
  if (progress.phase !== 'baking' && progress.phase !== 'terminationWait') return name;
  if (progress.bakeEndsAt === undefined) return name;
  const left = countdown(progress.bakeEndsAt, progress, now);
  if (left === undefined) return `${name} until ${clock(progress.bakeEndsAt)}`;
  return left === 0 ? `${name}, ending` : `${name}, ${formatDuration(left)} left`;
}

function hookText(h: NonNullable<WatchBody['hooks']>[number]['hooks'][number]): string {
  const attempts = h.attempts && h.attempts > 1 ? ` (${h.attempts} attempts)` : '';
  return `${h.status}${attempts}${h.reason ? ` — ${h.reason}` : ''}`;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * A check's last run in numbers: the revision's value against its bound and the baseline's, for a
 * verdict that compared them; the reason (which has the numbers) for one that could not.
 *
 * @example Failed errorRate 0.04 over 812, bound 0.0125, baseline 0.005
 *   → "Failed  4.00 % > 1.25 % (baseline 0.50 %), 812 samples"
 */
function verdictText(c: WatchCheck): string {
  const last = c.last;
  if (!last) return `not run yet  (${c.condition})`;
  const fmt = (v: number | undefined) => formatValue(c.metric, v);
  if ((last.verdict !== 'Successful' && last.verdict !== 'Failed') || last.value === undefined)
    return `${last.verdict}  ${last.reason}`;
  const op = last.verdict === 'Failed' ? '>' : '≤';
  const bound = last.bound !== undefined ? ` ${op} ${fmt(last.bound)}` : '';
  const baseline = last.baseline ? ` (baseline ${fmt(last.baseline.value)})` : '';
  return `${last.verdict}  ${fmt(last.value)}${bound}${baseline}, ${plural(last.samples, 'sample')}`;
}

/** Runs so far, with each verdict that counts against a limit once it has been seen. */
function countsText(c: WatchCheck): string {
  const { counts, limits } = c;
  const against = (n: number, what: string, limit: number) =>
    n > 0 ? [`${n} ${what} of ${limit} allowed`] : [];
  return [
    plural(counts.runs, 'run'),
    ...against(counts.failed, 'failed', limits.failure),
    ...against(counts.inconclusive, 'inconclusive', limits.inconclusive),
    ...against(counts.errors, 'unreadable', limits.error),
  ].join(', ');
}

/** Where the last run was: `at 10 %, bake's end`. */
function whereText(c: WatchCheck): string {
  const last = c.last;
  if (!last) return '';
  const point = last.point === 'interval' ? 'mid-bake' : last.point === 'bake' ? "bake's end" : 'final';
  return `at ${last.percent} %, ${point}`;
}

/** `wave 2 of release r-…`, and while it holds there, `at its commit point since 12:04:05 UTC`. */
function releaseText(d: WatchBody['deployment']): string {
  const holding = d.releaseReadyAt && d.status === 'IN_PROGRESS';
  return `wave ${(d.release?.wave ?? 0) + 1} of release ${d.release?.id}${
    holding
      ? `, at its commit point since ${clock(d.releaseReadyAt ?? '')}: it finalizes when the release commits`
      : ''
  }`;
}

function headline(d: WatchBody['deployment']): string {
  return `${d.id}  ${d.group}  version ${d.revision}  ${d.status}${d.reason ? ` — ${d.reason}` : ''}`;
}

/**
 * The frame of a deployment at `now` (epoch ms): the step and a bar of the percent on the new
 * revision, what it is doing (bake time left), the next shift, hooks, alarms.
 *
 * @example step 3 of 10, 30 %, bake ending in 42 s →
 *   "  step 3/10     ██████░░░░░░░░░░░░░░  30 %  baking, 42s left"
 *   "  next shift   40 % at 12:04:05 UTC, in 42s"
 */
export function renderWatch(body: WatchBody, now: number): string[] {
  const d = body.deployment;
  const lines = [headline(d)];
  if (d.configName) lines.push(row('config', d.configName));
  if (d.release) lines.push(row('release', releaseText(d)));
  const p = body.progress;
  if (p) {
    lines.push(row(`step ${p.step}/${p.steps}`, `${bar(p.percent)}  ${p.percent} %  ${phaseText(p, now)}`));
    if (p.nextShiftAt && p.nextPercent !== undefined && exitCodeOf(d.status) === undefined) {
      const left = countdown(p.nextShiftAt, p, now);
      const when = left === undefined ? '' : left > 0 ? `, in ${formatDuration(left)}` : ', due';
      lines.push(row('next shift', `${p.nextPercent} % at ${clock(p.nextShiftAt)}${when}`));
    }
  } else {
    lines.push(row('traffic', `${bar(d.percent)}  ${d.percent} %`));
  }
  const hooks = (body.hooks ?? []).flatMap((e) => e.hooks.map((h) => ({ event: e.event, ...h })));
  const eventWidth = Math.max(0, ...hooks.map((h) => h.event.length));
  const hookWidth = Math.max(0, ...hooks.map((h) => h.functionName.length));
  for (const h of hooks)
    lines.push(
      row('hook', `${h.event.padEnd(eventWidth)}  ${h.functionName.padEnd(hookWidth)}  ${hookText(h)}`),
    );
  const alarms = body.alarmStates ?? [];
  const alarmWidth = Math.max(0, ...alarms.map((a) => a.name.length));
  for (const a of alarms) lines.push(row('alarm', `${a.name.padEnd(alarmWidth)}  ${a.state}`));
  const checks = body.analysis ?? [];
  const checkWidth = Math.max(0, ...checks.map((c) => c.check.length));
  for (const c of checks) {
    const tail = c.last ? `  · ${whereText(c)}; ${countsText(c)}` : '';
    lines.push(row('analysis', `${c.check.padEnd(checkWidth)}  ${verdictText(c)}${tail}`));
  }
  if (d.executionUrl) lines.push(row('execution', d.executionUrl));
  return lines;
}

/**
 * The lines a log gets when the deployment goes from `prev` to `next` (everything, the first time):
 * status, step, phase, each hook and alarm that changed. No countdowns, so an unchanged deployment
 * prints nothing.
 */
export function renderChanges(prev: WatchBody | undefined, next: WatchBody): string[] {
  const lines: string[] = [];
  const d = next.deployment;
  if (prev === undefined)
    lines.push(`${d.id}  ${d.group}  version ${d.revision}${d.configName ? `  ${d.configName}` : ''}`);
  if (prev?.deployment.status !== d.status || prev?.deployment.reason !== d.reason)
    lines.push(`status ${d.status}${d.reason ? ` — ${d.reason}` : ''}`);
  if (d.release && d.releaseReadyAt && !prev?.deployment.releaseReadyAt && d.status === 'IN_PROGRESS')
    lines.push(`at its commit point: waiting for the other members of release ${d.release.id}`);
  const p = next.progress;
  const q = prev?.progress;
  if (p) {
    if (q?.step !== p.step || q?.percent !== p.percent)
      lines.push(`step ${p.step}/${p.steps}  ${bar(p.percent)}  ${p.percent} %`);
    if ((q?.phase !== p.phase || q?.bakeEndsAt !== p.bakeEndsAt) && p.phase !== 'ended') {
      const start = Date.parse(p.bakeStartedAt ?? '');
      const end = Date.parse(p.bakeEndsAt ?? '');
      const waits = (p.phase === 'baking' || p.phase === 'terminationWait') && !Number.isNaN(end);
      const length = waits && !Number.isNaN(start) ? ` ${formatDuration((end - start) / 1000)}` : '';
      const shift = p.nextShiftAt && p.nextPercent !== undefined ? p.nextShiftAt : undefined;
      // A bake ends with the next shift, mostly: then its end is said once.
      const until = waits && p.bakeEndsAt !== shift ? ` until ${clock(p.bakeEndsAt ?? '')}` : '';
      const next = shift ? `, then ${p.nextPercent} % at ${clock(shift)}` : '';
      lines.push(`${PHASES[p.phase] ?? p.phase}${length}${until}${next}`);
    }
  } else if (prev?.deployment.percent !== d.percent) {
    lines.push(`traffic ${bar(d.percent)}  ${d.percent} %`);
  }
  const seen = new Map<string, string>();
  for (const e of prev?.hooks ?? [])
    for (const h of e.hooks) seen.set(`${e.event} ${h.functionName}`, hookText(h));
  for (const e of next.hooks ?? []) {
    for (const h of e.hooks) {
      const text = hookText(h);
      if (seen.get(`${e.event} ${h.functionName}`) !== text)
        lines.push(`hook ${e.event} ${h.functionName}: ${text}`);
    }
  }
  const states = new Map((prev?.alarmStates ?? []).map((a) => [a.name, a.state]));
  for (const a of next.alarmStates ?? []) {
    if (states.get(a.name) !== a.state) lines.push(`alarm ${a.name}: ${a.state}`);
  }
  // A check's verdict, when it changes: its runs with the same verdict are the frame's, not the log's.
  const verdicts = new Map((prev?.analysis ?? []).map((c) => [c.check, c.last?.verdict]));
  for (const c of next.analysis ?? []) {
    if (prev === undefined && !c.last) lines.push(`analysis ${c.check}: ${c.condition}, not run yet`);
    else if (c.last && verdicts.get(c.check) !== c.last.verdict)
      lines.push(`analysis ${c.check}: ${verdictText(c)} · ${whereText(c)}`);
  }
  return lines;
}

/** A failure worth asking again: no answer, throttled, or the server's own trouble (503 while busy). */
export function isTransient(e: unknown): boolean {
  return e instanceof ApiUnreachable || (e instanceof ApiError && (e.status === 429 || e.status >= 500));
}

export interface Terminal {
  write(text: string): void;
  /** Redraw in place (ANSI) rather than print a line per change. */
  isTTY: boolean;
  /** Width to cut lines at, so that none wraps and the redraw counts lines right. */
  columns?: number;
}

/**
 * What a watch follows, drawn three ways: the frame a terminal redraws, the lines a log gets for a
 * change, and the exit code once it has ended. A deployment (`status --watch`) and a release
 * (`release-status --watch`) are two of these around the one loop.
 */
export interface Watched<T extends { now?: string }> {
  frame(body: T, now: number): string[];
  changes(prev: T | undefined, next: T): string[];
  /** 0 or 1 once it has ended; undefined while it goes on. */
  exitCode(body: T): 0 | 1 | undefined;
}

/** A deployment as `status --watch` draws it. */
export const DEPLOYMENT: Watched<WatchBody> = {
  frame: renderWatch,
  changes: renderChanges,
  exitCode: (body) => exitCodeOf(body.deployment.status),
};

export interface FollowOptions<T extends { now?: string } = WatchBody> {
  read: () => Promise<T>;
  intervalMs: number;
  out: Terminal;
  /** Notes for a log (a retried read); on a terminal they are drawn in the frame instead. */
  warn: (line: string) => void;
  /** Print each new body as one JSON line instead of drawing. */
  json?: boolean;
  /** Give up when reads keep failing for this long. Default 60 s. */
  giveUpAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => number;
}

const ERASE_FRAME = (lines: number) => (lines > 0 ? `\x1b[${lines}F\x1b[J` : '');

/**
 * Reads until the deployment ends; resolves to its exit code (0 SUCCEEDED, 1 ROLLED_BACK / FAILED /
 * STOPPED). A transient failure is retried every interval for up to `giveUpAfterMs`; any other failure,
 * and a first read that gets no answer at all (wrong URL, nothing running), is thrown.
 */
export function follow(options: FollowOptions): Promise<0 | 1> {
  return followView(DEPLOYMENT, options);
}

/** The loop of `follow`, for anything `Watched`: a deployment, a release. */
export async function followView<T extends { now?: string }>(
  view: Watched<T>,
  options: FollowOptions<T>,
): Promise<0 | 1> {
  const { read, intervalMs, out, warn } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.clock ?? Date.now;
  const giveUpAfterMs = options.giveUpAfterMs ?? 60_000;
  let last: T | undefined;
  let lastJson = '';
  let drawn = 0;
  let failingSince: number | undefined;
  let note: string | undefined;

  const draw = (body: T) => {
    const lines = view.frame(body, body.now ? Date.parse(body.now) || now() : now());
    if (note) lines.push(row('', `(${note})`));
    const width = Math.max(20, (out.columns ?? 0) - 1);
    const cut = out.columns ? lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l)) : lines;
    out.write(`${ERASE_FRAME(drawn)}${cut.join('\n')}\n`);
    drawn = cut.length;
  };

  for (;;) {
    let body: T | undefined;
    try {
      body = await read();
      failingSince = undefined;
      note = undefined;
    } catch (e) {
      if (!isTransient(e) || (last === undefined && e instanceof ApiUnreachable)) throw e;
      failingSince ??= now();
      if (now() - failingSince >= giveUpAfterMs) throw e;
      const message = `${e instanceof Error ? e.message : String(e)}; retrying`;
      if (out.isTTY && !options.json && last) {
        note = message;
        draw(last);
      } else if (note !== message) {
        note = message;
        warn(message);
      }
    }
    if (body) {
      const code = view.exitCode(body);
      if (options.json) {
        // The server's clock moves at every read: a change is a change of anything else.
        const { now: _, ...rest } = body;
        const json = JSON.stringify(rest);
        if (json !== lastJson) out.write(`${JSON.stringify(body)}\n`);
        lastJson = json;
      } else if (out.isTTY) {
        draw(body);
      } else {
        for (const line of view.changes(last, body)) out.write(`${line}\n`);
      }
      last = body;
      if (code !== undefined) return code;
    }
    await sleep(intervalMs);
  }
}
