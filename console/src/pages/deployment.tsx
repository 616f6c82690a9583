/**
 * One deployment, as an operator watches it: the execution graph, traffic over time, where it stands
 * (step, bake left, next shift), its analysis checks, hooks, alarms and timeline, and the actions that
 * apply.
 */
import { actionsFor } from '../actions.ts';
import { checkCard, VERDICT_CLASS } from '../analysis-model.ts';
import { ActionsBar } from '../components/actions-bar.tsx';
import { Empty, Panel, PercentBar, StatusBadge } from '../components/bits.tsx';
import { ExecutionGraph, GraphLegend } from '../components/graph.tsx';
import { Timeline } from '../components/timeline.tsx';
import { TrafficChart } from '../components/traffic.tsx';
import { clockTime, dateTime, duration, percent } from '../format.ts';
import { listHref, releaseHref } from '../router.ts';
import { clock, useTicker } from '../stream.ts';
import { trafficModel } from '../traffic-model.ts';
import type {
  AlarmState,
  AnalysisView,
  DeploymentDetail,
  ExecutionHistory,
  HookProgress,
  Phase,
  TimelineEntry,
} from '../types.ts';

const PHASES: Record<Phase, string> = {
  queued: 'Queued: waiting for the group',
  starting: 'Starting',
  installing: 'Installing the revision',
  hooks: 'Running hooks',
  shifting: 'Shifting traffic',
  baking: 'Baking',
  terminationWait: 'Termination wait',
  awaitingApproval: 'Waiting for approval',
  awaitingRelease: 'At its commit point: waiting for its release',
  finishing: 'Finishing',
  rollingBack: 'Rolling back',
  ended: 'Ended',
};

export function DeploymentPage({
  id,
  detail,
  execution,
}: {
  id: string;
  detail: DeploymentDetail | undefined;
  execution: ExecutionHistory | undefined;
}) {
  useTicker(1000);
  if (!detail || detail.deployment.id !== id) return <Empty>Loading deployment {id}…</Empty>;
  const { deployment: d, progress, timeline } = detail;
  const analysis = detail.analysis ?? [];
  const now = clock.now();
  return (
    <div class="deployment" data-deployment={d.id}>
      <header class="dep-head">
        <div class="dep-title">
          <a class="back" href={listHref({ group: d.group })}>
            ← {d.group}
          </a>
          <h1>
            <span class="dep-id">{d.id}</span> <StatusBadge status={d.status} />
          </h1>
          <p class="muted">
            revision <strong>{d.revision}</strong> · {d.configName} · {d.kind === 'ecs' ? 'ECS' : 'Lambda'} ·
            started {dateTime(d.createdAt)}
            {d.endedAt ? ` · ended ${dateTime(d.endedAt)}` : ''}
            {d.description ? ` · ${d.description}` : ''}
          </p>
          {d.reason && <p class="reason-line">{d.reason}</p>}
          {d.release && (
            <p class="release-line" data-release-member={d.release.id}>
              Wave {d.release.wave + 1} of release <a href={releaseHref(d.release.id)}>{d.release.id}</a>
              {d.releaseReadyAt && d.status === 'IN_PROGRESS' ? (
                <span class="commit-marker" data-commit-marker>
                  {' '}
                  ◆ holding at its commit point since {clockTime(d.releaseReadyAt)}: it finalizes when the
                  release commits
                </span>
              ) : null}
            </p>
          )}
          {d.executionUrl ? (
            <p>
              <a class="aws-link" href={d.executionUrl} target="_blank" rel="noreferrer">
                Open the execution in the Step Functions console ↗
              </a>
            </p>
          ) : null}
        </div>
        <ActionsBar actions={actionsFor(d, progress)} />
      </header>

      <div class={`dep-grid${analysis.length > 0 ? ' with-analysis' : ''}`}>
        <div class="area-now">
          <NowPanel detail={detail} now={now} />
        </div>
        <div class="area-traffic">
          <Panel title="Traffic on the new revision">
            <TrafficChart model={trafficModel(d, progress, timeline, now)} />
          </Panel>
        </div>
        <div class="area-graph">
          <Panel title="Execution" aside={<ExecutionStatus execution={execution} />} class="graph-panel">
            {execution ? <ExecutionGraph events={execution.events} /> : <Empty>Reading the execution…</Empty>}
            <GraphLegend />
          </Panel>
        </div>
        {analysis.length > 0 && (
          <div class="area-analysis">
            <Panel
              title="Analysis"
              aside={<span class="muted small">the revision against its baseline</span>}
            >
              <Analysis checks={analysis} />
            </Panel>
          </div>
        )}
        <div class="area-hooks">
          <Panel title="Hooks">
            <Hooks groups={detail.hooks ?? []} timeline={timeline} now={now} />
          </Panel>
        </div>
        <div class="area-alarms">
          <Panel title="Alarms">
            <Alarms detail={detail} />
          </Panel>
        </div>
        <div class="area-timeline">
          <Panel title="Timeline">
            <Timeline entries={timeline} />
          </Panel>
        </div>
      </div>
    </div>
  );
}

function ExecutionStatus({ execution }: { execution: ExecutionHistory | undefined }) {
  if (!execution) return null;
  return (
    <span class="muted small" title={execution.executionArn ?? execution.executionName}>
      {execution.status.replace(/_/g, ' ').toLowerCase()} · {execution.events.length} events
    </span>
  );
}

function NowPanel({ detail, now }: { detail: DeploymentDetail; now: number }) {
  const { deployment: d, progress: p } = detail;
  const bakeLeft = p?.bakeEndsAt ? Date.parse(p.bakeEndsAt) - now : undefined;
  const bakeTotal =
    p?.bakeEndsAt && p.bakeStartedAt ? Date.parse(p.bakeEndsAt) - Date.parse(p.bakeStartedAt) : undefined;
  const live = d.status === 'CREATED' || d.status === 'IN_PROGRESS' || d.status === 'ROLLING_BACK';
  return (
    <section class="now-cards" aria-label="Where it stands">
      <div class="stat" data-stat="step">
        <span class="stat-label">Step</span>
        <span class="stat-value">{p ? `${p.step} of ${p.steps}` : '—'}</span>
        <span class="stat-sub">
          {d.releaseReadyAt && d.status === 'IN_PROGRESS'
            ? 'At its commit point: waiting for its release'
            : p
              ? PHASES[p.phase]
              : d.status}
        </span>
      </div>
      <div class="stat" data-stat="percent">
        <span class="stat-label">Traffic</span>
        <span class="stat-value">{percent(p?.percent ?? d.percent)}</span>
        <PercentBar value={p?.percent ?? d.percent} />
      </div>
      <div class="stat" data-stat="bake">
        <span class="stat-label">{p?.phase === 'terminationWait' ? 'Wait left' : 'Bake left'}</span>
        <span
          class="stat-value"
          data-bake-left={bakeLeft !== undefined ? Math.max(0, Math.round(bakeLeft / 1000)) : ''}
        >
          {bakeLeft !== undefined && live ? duration(bakeLeft) : '—'}
        </span>
        {bakeLeft !== undefined && bakeTotal !== undefined && bakeTotal > 0 && live ? (
          <span class="countdown">
            <span style={{ width: `${Math.min(100, Math.max(0, 100 - (bakeLeft / bakeTotal) * 100))}%` }} />
          </span>
        ) : (
          <span class="stat-sub">{live ? 'not baking' : ''}</span>
        )}
      </div>
      <div class="stat" data-stat="next">
        <span class="stat-label">Next shift</span>
        <span class="stat-value">{p?.nextShiftAt && live ? clockTime(p.nextShiftAt) : '—'}</span>
        <span class="stat-sub">
          {p?.nextShiftAt && live && p.nextPercent !== undefined
            ? `to ${percent(p.nextPercent)}, in ${duration(Date.parse(p.nextShiftAt) - now)}`
            : live
              ? 'no further step'
              : ''}
        </span>
      </div>
    </section>
  );
}

/** A hook's duration: until it decided (its timeline entry), or until now while it runs. */
function hookDuration(event: string, h: HookProgress, timeline: TimelineEntry[], now: number): number {
  const start = Date.parse(h.startedAt);
  if (h.status === 'Succeeded' || h.status === 'Failed') {
    const done = timeline.find(
      (e) =>
        e.kind === 'hook' &&
        e.message.startsWith(`${event}: ${h.functionName} `) &&
        (e.details as { status?: string } | undefined)?.status === h.status,
    );
    return done ? Date.parse(done.at) - start : Number.NaN;
  }
  return now - start;
}

function Hooks({
  groups,
  timeline,
  now,
}: {
  groups: { event: string; hooks: HookProgress[] }[];
  timeline: TimelineEntry[];
  now: number;
}) {
  if (groups.length === 0 || groups.every((g) => g.hooks.length === 0)) {
    return <Empty>No hooks have run.</Empty>;
  }
  return (
    <table class="hooks-table">
      <thead>
        <tr>
          <th>Event</th>
          <th>Function</th>
          <th>Status</th>
          <th>Duration</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {groups.flatMap(({ event, hooks }) =>
          hooks.map((h) => {
            const ms = hookDuration(event, h, timeline, now);
            return (
              <tr key={`${event}/${h.functionName}`} data-hook={h.functionName} data-hook-status={h.status}>
                <td data-label="Event">{event}</td>
                <td data-label="Function" class="mono">
                  {h.functionName}
                </td>
                <td data-label="Status">
                  <span>
                    <span class={`chip hook-${h.status.toLowerCase()}`}>{h.status}</span>
                    {h.attempts > 1 && (
                      <span class="muted small" title={`asked ${h.attempts} times`}>
                        {' '}
                        ×{h.attempts}
                      </span>
                    )}
                  </span>
                </td>
                <td data-label="Duration">{Number.isFinite(ms) ? duration(ms) : '—'}</td>
                <td data-label="Reason" class="reason">
                  {h.reason ?? ''}
                </td>
              </tr>
            );
          }),
        )}
      </tbody>
    </table>
  );
}

const ALARM_CLASS: Record<AlarmState | 'UNREADABLE', string> = {
  OK: 'ok',
  ALARM: 'alarm',
  INSUFFICIENT_DATA: 'unknown',
  MISSING: 'missing',
  UNREADABLE: 'missing',
};

function Alarms({ detail }: { detail: DeploymentDetail }) {
  const d = detail.deployment;
  const states = detail.alarmStates ?? d.alarms.map((name) => ({ name, state: undefined }));
  if (states.length === 0) return <Empty>No alarms are watched.</Empty>;
  return (
    <ul class="alarms">
      {states.map((a) => (
        <li key={a.name} data-alarm={a.name} data-alarm-state={a.state ?? ''}>
          <span class={`chip alarm-${a.state ? ALARM_CLASS[a.state] : 'unknown'}`}>
            {a.state ? a.state.replace(/_/g, ' ') : '…'}
          </span>{' '}
          <span class="mono">{a.name}</span>
          {d.ignoredAlarms?.includes(a.name) && <span class="muted small"> not watched until OK</span>}
          {d.alarmFired?.alarm === a.name && (
            <span class="error-text small"> fired at {clockTime(d.alarmFired.at)}</span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Each check: its condition, last verdict, the revision's value beside the baseline's and the bound, and its counts against their limits. */
function Analysis({ checks }: { checks: AnalysisView[] }) {
  return (
    <ul class="checks">
      {checks.map((a) => {
        const card = checkCard(a);
        return (
          <li key={card.check} class="check" data-check={card.check} data-verdict={card.verdict ?? ''}>
            <div class="check-head">
              <span class={`chip ${card.verdict ? VERDICT_CLASS[card.verdict] : ''}`}>
                {card.verdict ?? 'not run'}
              </span>{' '}
              <span class="mono">{card.check}</span> <span class="muted small">{card.condition}</span>
            </div>
            <dl class="check-figures">
              {card.figures.map((f) => (
                <div key={f.label} data-figure={f.label}>
                  <dt>{f.label}</dt>
                  <dd class={f.over ? 'error-text' : ''}>{f.value}</dd>
                  {f.sub && <dd class="muted small">{f.sub}</dd>}
                </div>
              ))}
            </dl>
            <p class="check-reason small">
              {card.reason && <span class="reason">{card.reason}</span>}
              <span class="muted">
                {card.reason ? ' · ' : ''}
                {card.at ? `last run ${clockTime(card.at)} ` : ''}
                {card.where}
              </span>
            </p>
          </li>
        );
      })}
    </ul>
  );
}
