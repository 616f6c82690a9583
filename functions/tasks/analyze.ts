/**
 * Canary analysis runs (core/analysis.ts): what ShiftTraffic asks at a bake's end, what AfterAllowTraffic
 * asks at 100 %, and what the ticker asks every minute during a bake. Each run reads the checks' metrics
 * through the `MetricReader`, judges them, records every measurement on the timeline and the tally on
 * the deployment, and returns what the deployment does next.
 */
import {
  type AnalysisCheck,
  type Decision,
  decide,
  dueChecks,
  judge,
  type MetricSpec,
  type Reading,
  type RunPoint,
  substitute,
  windowsOf,
} from '../core/analysis.ts';
import type { Deployment } from '../core/deployment.ts';
import { AnalysisFailed } from '../core/errors.ts';
import type { Platform } from '../platforms/index.ts';
import type { BakeSignals, MetricQuery } from '../ports.ts';
import { groupOf, isoNow, note, platformFor, type TaskContext } from './context.ts';

type Side = 'revision' | 'baseline';

/** How one side of a check is read: a built-in metric by the platform, or the check's own expression. */
function specOf(platform: Platform, deployment: Deployment, check: AnalysisCheck, side: Side): MetricSpec {
  const dimensions = platform.metricDimensions(deployment)[side];
  const { metric } = check;
  if (typeof metric === 'string') return platform.metricSpec(metric, dimensions);
  const ids = platform.metricIdentities(deployment);
  return {
    type: 'expression',
    expression: substitute(metric.expression, { revision: ids[side], baseline: ids.baseline }),
    aggregate: metric.aggregate,
    standIn: platform.metricSpec(metric.local, dimensions),
  };
}

/**
 * One run of `checks` (by default all of the group's) at `point`. Records each measurement on the
 * timeline (kind `analysis`) and the tally on the deployment; a metric that cannot be read is an Error
 * reading, never a thrown error, so that only the decision says what happens.
 */
export async function runAnalysis(
  ctx: TaskContext,
  deployment: Deployment,
  point: RunPoint,
  checks: readonly AnalysisCheck[] = groupOf(ctx, deployment).analysis,
): Promise<Decision> {
  if (checks.length === 0) return { action: 'proceed', notes: [] };
  const { platform } = platformFor(ctx, deployment);
  const now = ctx.clock.now();
  const windows = windowsOf(deployment, now);
  const queries: MetricQuery[] = [];
  const idOf = (i: number, side: Side) => `c${i}${side === 'revision' ? 'r' : 'b'}`;
  checks.forEach((check, i) => {
    const sides: Side[] = check.relative ? ['revision', 'baseline'] : ['revision'];
    for (const side of sides) {
      queries.push({
        id: idOf(i, side),
        spec: specOf(platform, deployment, check, side),
        window: windows[side],
      });
    }
  });
  const readings = await read(ctx, queries);
  const missing: Reading = { error: 'the metric reader answered nothing for it' };
  const measurements = checks.map((check, i) =>
    judge(
      check,
      readings[idOf(i, 'revision')] ?? missing,
      check.relative ? (readings[idOf(i, 'baseline')] ?? missing) : undefined,
    ),
  );
  const at = isoNow(ctx);
  const { tally, decision } = decide(checks, measurements, deployment.analysis ?? {}, {
    point,
    at,
    percent: deployment.percent,
  });
  await ctx.store.update(deployment.id, { analysis: tally });
  const iso = (w: { from: number; to: number }) => ({
    from: new Date(w.from).toISOString(),
    to: new Date(w.to).toISOString(),
  });
  for (const m of measurements) {
    const check = checks.find((c) => c.name === m.check);
    await note(ctx, deployment.id, 'analysis', `${m.check} ${m.verdict}: ${m.reason}`, {
      check: m.check,
      verdict: m.verdict,
      point,
      percent: deployment.percent,
      ...(m.value !== undefined ? { value: m.value } : {}),
      samples: m.samples,
      ...(m.baseline ? { baseline: m.baseline } : {}),
      ...(m.bound !== undefined ? { bound: m.bound } : {}),
      window: iso(windows.revision),
      ...(check?.relative ? { baselineWindow: iso(windows.baseline) } : {}),
    });
  }
  if (decision.action !== 'rollback') {
    for (const message of decision.notes) await note(ctx, deployment.id, 'analysis', message);
  }
  return decision;
}

async function read(ctx: TaskContext, queries: MetricQuery[]): Promise<Record<string, Reading>> {
  const unreadable = (error: string) => Object.fromEntries(queries.map((q) => [q.id, { error }]));
  if (!ctx.metrics) return unreadable('no metric reader is wired in this mode');
  try {
    return await ctx.metrics.read(queries);
  } catch (e) {
    // The port promises not to throw; a reader that does still must not turn into a pass or a crash.
    return unreadable(e instanceof Error ? e.message : String(e));
  }
}

/** A decision to roll back, as the error that the workflow's Catch sends to RollBack. */
export function rollbackError(decision: Extract<Decision, { action: 'rollback' }>): AnalysisFailed {
  return new AnalysisFailed(decision.reason);
}

/**
 * The ticker's run, every minute during bakes (a scheduled rule on AWS, the virtual clock locally): for
 * each active deployment that is baking, the checks whose interval has passed. A Failed past its limit
 * ends the bake at once through its task token (AnalysisFailed), as an alarm does. One deployment's
 * problem does not keep the others from being judged. Returns the deployments it ran checks for.
 */
export async function analyzeBakes(
  ctx: TaskContext & { bakes: BakeSignals },
  log: (line: string) => void = (l) => console.error(l),
): Promise<string[]> {
  const judged: string[] = [];
  for (const { group, deploymentId } of await ctx.store.locks()) {
    const checks = Object.hasOwn(ctx.groups.groups, group) ? ctx.groups.groups[group]?.analysis : undefined;
    if (!checks || checks.length === 0) continue;
    try {
      const deployment = await ctx.store.get(deploymentId);
      if (!deployment?.bakeToken || deployment.status !== 'IN_PROGRESS') continue;
      // Promoted: the operator decided. Past the final run: the termination wait is not a bake to judge.
      if (deployment.promoted || deployment.finalAnalysisPassed || deployment.stopRequest) continue;
      // The bake is over: the run at its end (ShiftTraffic's, AfterAllowTraffic's) judges it, and two runs
      // at once would each write the tally.
      const now = ctx.clock.now();
      if (deployment.bakeUntil && now >= Date.parse(deployment.bakeUntil)) continue;
      const due = dueChecks(checks, deployment.analysis ?? {}, deployment.shiftedAt, now);
      if (due.length === 0) continue;
      judged.push(deployment.id);
      const decision = await runAnalysis(ctx, deployment, 'interval', due);
      if (decision.action === 'rollback') {
        await ctx.bakes.fail(deployment.bakeToken, 'AnalysisFailed', decision.reason);
      }
    } catch (e) {
      log(
        JSON.stringify({
          message: 'analysis',
          deploymentId,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
    }
  }
  return judged;
}
