/**
 * A story-shaped harness for workflow tests: a local stepshift (the real ASL file in the local engine,
 * dynalite, the simulated account) with groups declared inline, on a fast virtual clock.
 */
import { type ApiContext, getDeployment, startDeployment } from '../../functions/api/operations.ts';
import type { Deployment, TimelineEntry } from '../../functions/core/deployment.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import type { HookFunction, VersionProfile } from '../../local/account.ts';
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
  until(d: Deployment, predicate: (d: Deployment) => boolean, what: string): Promise<Deployment>;
  close(): Promise<void>;
}

export interface GroupSpec {
  deploymentConfig?: unknown;
  hooks?: Record<string, unknown>;
  alarms?: string[];
  autoRollback?: unknown;
}

export async function scenario(
  groups: Record<string, GroupSpec>,
  options: { speed?: number; hooks?: Record<string, HookFunction> } = {},
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
        },
      ]),
    ),
  });
  const local = await startLocal({
    groups: config,
    speed: options.speed ?? 1000,
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
      await execution.done;
      const { deployment, timeline } = await getDeployment(ctx, d.id);
      return { deployment, timeline, execution: execution.status };
    },
    until: async (d, predicate, what) => {
      for (let i = 0; i < 2000; i++) {
        const current = await ctx.store.get(d.id);
        if (current && predicate(current)) return current;
        await new Promise((r) => setTimeout(r, 2));
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    close: () => local.close(),
  };
}

export const messages = (timeline: TimelineEntry[]) => timeline.map((e) => `${e.kind}: ${e.message}`);
