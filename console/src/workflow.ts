/**
 * The workflow as the console draws it: the states and transitions of an ASL definition, and what one
 * execution did in each state, from its events — as the Step Functions console colours its graph.
 * Pure: the page gives it statemachines/deployment.asl.json (`definition.ts`), the tests read the file.
 */
import type { ExecutionEvent } from './types.ts';

export type StateType = 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

interface Catcher {
  ErrorEquals: string[];
  Next: string;
}

interface AslState {
  Type: StateType;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: Catcher[];
  Comment?: string;
}

export interface Definition {
  StartAt: string;
  States: Record<string, AslState>;
}

export type TransitionKind = 'next' | 'choice' | 'default' | 'catch';

export interface Transition {
  from: string;
  to: string;
  kind: TransitionKind;
}

/** Pseudo-nodes for where the execution starts and ends, as the Step Functions console draws them. */
export const START = '__start__';
export const END = '__end__';

/**
 * Every transition of the definition, one per (from, to) pair: a Choice rule and a Catch that lead to
 * the same state are one arrow, of the stronger kind (next > choice > default > catch).
 *
 * @example transitions(def) ⊇ {Prepare→ChooseKind next, Prepare→RollBack catch, ChooseKind→BeforeInstall choice}
 */
export function transitions(def: Definition): Transition[] {
  const out = new Map<string, Transition>();
  const add = (from: string, to: string, kind: TransitionKind) => {
    const key = `${from}\u2192${to}`;
    if (!out.has(key)) out.set(key, { from, to, kind });
  };
  add(START, def.StartAt, 'next');
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Next) add(name, state.Next, 'next');
    for (const choice of state.Choices ?? []) add(name, choice.Next, 'choice');
    if (state.Default) add(name, state.Default, 'default');
    for (const c of state.Catch ?? []) add(name, c.Next, 'catch');
    // One End, after success: the Fail states are ends themselves (five arrows to one End would
    // spread the bottom of the graph across the page).
    if (state.End || state.Type === 'Succeed') add(name, END, 'next');
  }
  return [...out.values()];
}

export const edgeKey = (from: string, to: string) => `${from}\u2192${to}`;

export type StateStatus = 'notRun' | 'running' | 'succeeded' | 'failed' | 'caught';

export interface StateRun {
  status: StateStatus;
  /** How often the execution entered the state (ShiftTraffic ×10 on a linear deployment). */
  visits: number;
  /** Retries of the last visit. */
  retries: number;
  /** The error of the last failure, when the last visit failed. */
  error?: string;
  cause?: string;
  enteredAt?: string;
  leftAt?: string;
}

export interface ExecutionPicture {
  states: Map<string, StateRun>;
  /** `edgeKey(from, to)` of every transition the execution took, START and END included. */
  taken: Set<string>;
  /** The states entered, in order. */
  path: string[];
  ended: boolean;
}

interface Visit {
  name: string;
  failed?: { error?: string; cause?: string };
  caught: boolean;
  exited: boolean;
}

/**
 * What the execution did in each state, from its events (oldest first):
 * - notRun: never entered; running: entered and not left (a retry keeps it running);
 * - succeeded: left normally — or through a Catch that names a specific error, which is a designed
 *   way out rather than a failure (a bake ends with `States.Timeout` into the next ShiftTraffic);
 * - caught: failed and caught by a `States.ALL` catcher into its target (RollBack);
 * - failed: failed and not caught, a Fail state reached, or still open when the execution ended.
 * The status is the last visit's; `visits` counts them all.
 *
 * @example Prepare entered, ShiftTraffic entered, failed, caught, RollBack entered
 *   → Prepare succeeded, ShiftTraffic caught, RollBack running
 */
export function picture(def: Definition, events: readonly ExecutionEvent[]): ExecutionPicture {
  const states = new Map<string, StateRun>();
  const taken = new Set<string>();
  const path: string[] = [];
  let open: Visit | undefined;
  let ended = false;
  const run = (name: string): StateRun => {
    let r = states.get(name);
    if (!r) {
      r = { status: 'notRun', visits: 0, retries: 0 };
      states.set(name, r);
    }
    return r;
  };
  /** The open visit ends because the execution went on to `next`. */
  const leave = (visit: Visit, next: string, at: string) => {
    const r = run(visit.name);
    r.leftAt ??= at;
    if (!visit.failed) {
      if (r.status === 'running') r.status = 'succeeded';
      return;
    }
    const catcher = def.States[visit.name]?.Catch?.find((c) => c.Next === next);
    r.status = catcher && !catcher.ErrorEquals.includes('States.ALL') ? 'succeeded' : 'caught';
    if (r.status === 'succeeded') {
      delete r.error;
      delete r.cause;
    }
  };

  for (const e of events) {
    const name = e.state;
    switch (e.type) {
      case 'ExecutionStarted':
        break;
      case 'StateEntered': {
        if (!name) break;
        const from = open?.name ?? (path.length === 0 ? START : path[path.length - 1]);
        if (open) leave(open, name, e.timestamp);
        if (from) taken.add(edgeKey(from, name));
        path.push(name);
        const r = run(name);
        r.visits += 1;
        r.retries = 0;
        r.enteredAt = e.timestamp;
        delete r.leftAt;
        delete r.error;
        delete r.cause;
        const type = def.States[name]?.Type;
        // A Fail state is the end of a failed execution; a Succeed state the end of a good one.
        r.status = type === 'Fail' ? 'failed' : type === 'Succeed' ? 'succeeded' : 'running';
        open = { name, caught: false, exited: false };
        break;
      }
      case 'StateExited': {
        if (!name || open?.name !== name) break;
        open.exited = true;
        const r = run(name);
        if (!open.failed) r.status = 'succeeded';
        r.leftAt = e.timestamp;
        break;
      }
      case 'StateFailed': {
        if (!name) break;
        const r = run(name);
        if (def.States[name]?.Type === 'Fail') break;
        r.status = 'failed';
        r.error = e.error ?? 'Error';
        if (e.cause !== undefined) r.cause = e.cause;
        if (open?.name === name) open.failed = { ...(e.error ? { error: e.error } : {}) };
        break;
      }
      case 'StateRetried': {
        if (!name) break;
        const r = run(name);
        r.status = 'running';
        r.retries += 1;
        if (open?.name === name) delete open.failed;
        break;
      }
      case 'StateCaught': {
        if (!name) break;
        const r = run(name);
        r.status = 'caught';
        if (open?.name === name) open.caught = true;
        break;
      }
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimedOut': {
        ended = true;
        const last = path[path.length - 1];
        if (e.type === 'ExecutionSucceeded' && last) taken.add(edgeKey(last, END));
        if (open) {
          const r = run(open.name);
          if (r.status === 'running') r.status = e.type === 'ExecutionSucceeded' ? 'succeeded' : 'failed';
          if (r.status === 'caught' && !open.exited) r.status = 'failed';
          if (e.type !== 'ExecutionSucceeded' && e.error && !r.error) r.error = e.error;
          r.leftAt ??= e.timestamp;
        }
        open = undefined;
        break;
      }
    }
  }
  for (const name of Object.keys(def.States)) run(name);
  return { states, taken, path, ended };
}
