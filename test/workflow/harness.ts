/**
 * A story-shaped harness for workflow tests: a local stepshift (the real ASL file in the local engine,
 * dynalite, the simulated account) with groups declared inline, on a `StepClock`: virtual time moves only
 * while the test waits (`finished`, `until`) and only when everything waits on it, so no outcome and no
 * virtual time depends on the machine's speed or load.
 */
import { type ApiContext, getDeployment, startDeployment } from '../../functions/api/operations.ts';
import type { Deployment, TimelineEntry } from '../../functions/core/deployment.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import type { HookFunction, VersionProfile } from '../../local/account.ts';
import { StepClock } from '../../local/clock.ts';
import type { EngineEvent } from '../../local/engine.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { HEALTHY } from '../../local/seed.ts';

export interface Scenario {
  local: LocalStepShift;
  ctx: ApiContext;
  events: { execution: string; event: EngineEvent }[];
  /** Publishes a version of `fn` with that behaviour. */
  publish(fn: string, profile?: VersionProfile): string;
  deploy(group: string, revision: string, extra?: Record<string, unknown>, key?: string): Promise<Deployment>;
  /** Waits for the deployment's execution to end; returns the record and timeline as stored. */
  finished(d: Deployment): Promise<{ deployment: Deployment; timeline: TimelineEntry[]; execution: string }>;
  /** Lets time run until the stored deployment satisfies `predicate`; time stands still again after. */
  until(d: Deployment, predicate: (d: Deployment) => boolean, what: string): Promise<Deployment>;
  close(): Promise<void>;
}

export interface GroupSpec {
  deploymentConfig?: unknown;
  hooks?: Record<string, unknown>;
  alarms?: string[];
  autoRollback?: unknown;
  analysis?: unknown;
  onBusy?: string;
  maxQueued?: number;
  approval?: string;
}

export async function scenario(
  groups: Record<string, GroupSpec>,
  options: { hooks?: Record<string, HookFunction> } = {},
): Promise<Scenario> {
  const config = parseGroupConfig({
    groups: Object.fromEntries(
      Object.entries(groups).map(([name, g]) => [
        name,
        {
          kind: 'lambda',
          target: { functionName: name, alias: 'live' },
          deploymentConfig: g.deploymentConfig ?? 'CodeDeployDefault.LambdaAllAtOnce',
          ...(g.hooks ? { hooks: g.hooks } : {}),
          ...(g.alarms ? { alarms: g.alarms } : {}),
          ...(g.autoRollback ? { autoRollback: g.autoRollback } : {}),
          ...(g.analysis ? { analysis: g.analysis } : {}),
          ...(g.onBusy ? { onBusy: g.onBusy } : {}),
          ...(g.maxQueued !== undefined ? { maxQueued: g.maxQueued } : {}),
          ...(g.approval ? { approval: g.approval } : {}),
        },
      ]),
    ),
  });
  const clock = new StepClock();
  const local = await startLocal({
    groups: config,
    clock,
    traffic: false,
    seed: (account) => {
      for (const [name, g] of Object.entries(groups)) {
        account.createFunction(name, HEALTHY, { alias: 'live' });
        for (const alarm of g.alarms ?? []) {
          account.defineAlarm({
            name: alarm,
            target: name,
            metric: 'ErrorRate',
            threshold: 0.05,
            periodSeconds: 60,
            evaluationPeriods: 1,
          });
        }
      }
      for (const [name, fn] of Object.entries(options.hooks ?? {})) account.registerHook(name, fn);
    },
  });
  const events: Scenario['events'] = [];
  local.workflow.onTransition((execution, event) => events.push({ execution, event }));
  local.releaseWorkflow.onTransition((execution, event) => events.push({ execution, event }));
  const ctx = local.ctx;
  return {
    local,
    ctx,
    events,
    publish: (fn, profile = HEALTHY) => local.account.publishVersion(fn, profile),
    deploy: async (group, revision, extra = {}, key) =>
      (await startDeployment(ctx, { group, revision, ...extra }, key)).deployment,
    finished: async (d) => {
      const execution = local.workflow.execution(d.executionName);
      if (!execution) throw new Error(`no execution ${d.executionName}`);
      await clock.run(execution.done);
      const { deployment, timeline } = await getDeployment(ctx, d.id);
      return { deployment, timeline, execution: execution.status };
    },
    until: (d, predicate, what) => untilStored(clock, ctx, d, predicate, what),
    close: () => local.close(),
  };
}

/** An alias routing as the simulated account reports it: `version`, plus additional version weights. */
export const routing = (version: string, weights: Record<string, number> = {}) => ({
  kind: 'lambda',
  version,
  additionalVersionWeights: weights,
});

export const messages = (timeline: TimelineEntry[]) => timeline.map((e) => `${e.kind}: ${e.message}`);

/** Runs the clock until the stored deployment satisfies `predicate`, and returns it as it was then. */
export async function untilStored(
  clock: StepClock,
  ctx: ApiContext,
  d: Deployment,
  predicate: (d: Deployment) => boolean,
  what: string,
): Promise<Deployment> {
  let found: Deployment | undefined;
  try {
    await clock.run(async () => {
      const current = await ctx.store.get(d.id);
      if (current && predicate(current)) found = current;
      return found !== undefined;
    });
  } catch (e) {
    throw new Error(`never saw ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!found) throw new Error(`never saw ${what}`);
  return found;
}
