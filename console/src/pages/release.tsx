/**
 * One release, as an operator watches it: its waves in order, each with its members side by side — the
 * group, revision, status, traffic, step and whether it holds at its commit point — then the commit
 * point itself, what the release waits for, its timeline, and Stop / Stop without rollback while it can
 * be stopped. Each member links to its own deployment's page.
 */
import { ActionsBar } from '../components/actions-bar.tsx';
import { Empty, Panel, PercentBar, StatusBadge } from '../components/bits.tsx';
import { Timeline } from '../components/timeline.tsx';
import { clockTime, dateTime, duration } from '../format.ts';
import {
  type MemberCard,
  type ReleaseModel,
  releaseActionsFor,
  releaseModel,
  type WaveModel,
} from '../release-model.ts';
import { RELEASES_HREF } from '../router.ts';
import { clock, useTicker } from '../stream.ts';
import type { ReleaseDetail } from '../types.ts';

export function ReleasePage({ id, detail }: { id: string; detail: ReleaseDetail | undefined }) {
  useTicker(1000);
  if (!detail || detail.release.id !== id) return <Empty>Loading release {id}…</Empty>;
  const r = detail.release;
  const model = releaseModel(r);
  const now = clock.now();
  return (
    <div class="release" data-release={r.id} data-release-status={r.status}>
      <header class="dep-head">
        <div class="dep-title">
          <a class="back" href={RELEASES_HREF}>
            ← Releases
          </a>
          <h1>
            <span class="rel-name">{r.name}</span> <StatusBadge status={r.status} />
          </h1>
          <p class="muted">
            <span class="mono">{r.id}</span> · {r.members.length} member{r.members.length === 1 ? '' : 's'} in{' '}
            {r.waveCount} wave{r.waveCount === 1 ? '' : 's'} · started {dateTime(r.createdAt)}
            {r.endedAt ? ` · ended ${dateTime(r.endedAt)}` : ''}
            {r.description ? ` · ${r.description}` : ''}
          </p>
          {r.reason && <p class="reason-line">{r.reason}</p>}
          {r.stopRequest && (
            <p class="muted small" data-stop-request>
              Stop requested at {clockTime(r.stopRequest.at)}, {r.stopRequest.rollback ? 'with' : 'without'}{' '}
              rollback{r.stopRequest.reason ? `: ${r.stopRequest.reason}` : ''}
            </p>
          )}
          {r.executionUrl ? (
            <p>
              <a class="aws-link" href={r.executionUrl} target="_blank" rel="noreferrer">
                Open the release's execution in the Step Functions console ↗
              </a>
            </p>
          ) : null}
        </div>
        <ActionsBar actions={releaseActionsFor(r)} />
      </header>

      <Summary model={model} now={now} />

      <section class="waves" aria-label="Waves">
        {model.waves.map((w) => (
          <Wave key={w.index} wave={w} count={model.waves.length} />
        ))}
        <CommitPoint model={model} />
      </section>

      <Panel title="Timeline">
        <Timeline entries={detail.timeline} />
      </Panel>
    </div>
  );
}

function Summary({ model, now }: { model: ReleaseModel; now: number }) {
  const ready = model.waves.flatMap((w) => w.members).filter((m) => m.atCommitPoint).length;
  const total = model.waves.reduce((n, w) => n + w.members.length, 0);
  return (
    <section class="now-cards rel-summary" aria-label="Where it stands">
      <div class="stat" data-stat="wave">
        <span class="stat-label">Waves</span>
        <span class="stat-value">{model.progress}</span>
        <span class="stat-sub">{model.waves.map((w) => `wave ${w.index + 1} ${w.short}`).join(' · ')}</span>
      </div>
      <div class="stat" data-stat="ready">
        <span class="stat-label">At the commit point</span>
        <span class="stat-value">
          {ready} of {total}
        </span>
        <span class="stat-sub">members holding at 100 %</span>
      </div>
      <div class="stat" data-stat="commit" data-commit={model.commit.state}>
        <span class="stat-label">Commit point</span>
        <span class="stat-value">
          {model.commit.state === 'committed'
            ? clockTime(model.commit.at)
            : model.commit.state === 'never'
              ? 'never'
              : 'not yet'}
        </span>
        <span class="stat-sub">
          {model.commit.state === 'committed'
            ? 'every member finalizes'
            : model.commit.state === 'never'
              ? 'nothing was finalized'
              : `when all ${total} hold at 100 %`}
        </span>
      </div>
      <div class="stat" data-stat="waiting">
        <span class="stat-label">Waiting for</span>
        <span class="stat-value small-value">{model.waiting ? model.waiting.text : '—'}</span>
        <span class="stat-sub">
          {model.waiting ? `for ${duration(now - Date.parse(model.waiting.since))}` : ''}
        </span>
      </div>
    </section>
  );
}

function Wave({ wave: w, count }: { wave: WaveModel; count: number }) {
  return (
    <div
      class={`wave wave-${w.state}`}
      data-wave={w.index}
      data-wave-state={w.state}
      style={{ flexGrow: Math.max(1, w.members.length) }}
    >
      <header class="wave-head">
        <h2>
          Wave {w.index + 1}
          <span class="muted small"> of {count}</span>
        </h2>
        <span class={`chip wave-chip wave-chip-${w.state}`}>{w.text}</span>
      </header>
      <div class="members">
        {w.members.map((m) => (
          <Member key={m.group} member={m} />
        ))}
      </div>
    </div>
  );
}

function Member({ member: m }: { member: MemberCard }) {
  return (
    <article
      class={`card member${m.atCommitPoint ? ' at-commit' : ''}`}
      data-member={m.group}
      data-member-status={m.status}
      data-ready={m.atCommitPoint ? 'true' : 'false'}
    >
      <header class="card-head">
        <h3>
          <a href={m.href} title={`deployment ${m.deploymentId}`}>
            {m.group}
          </a>
        </h3>
        <StatusBadge status={m.status} />
      </header>
      <div class="member-rev">
        <span class="muted small">revision</span> <span class="mono">{m.revision}</span>
      </div>
      <div class="muted small member-config">{m.configName}</div>
      <PercentBar value={m.percent} />
      <div class="member-step small" data-step>
        {m.step}
      </div>
      {m.atCommitPoint ? (
        <div class="commit-marker" data-commit-marker>
          ◆ at its commit point since {clockTime(m.readyAt)}
        </div>
      ) : m.readyAt && m.status === 'SUCCEEDED' ? (
        <div class="commit-marker done small">◆ reached its commit point at {clockTime(m.readyAt)}</div>
      ) : null}
      {m.reason && <p class="reason small member-reason">{m.reason}</p>}
      <div class="muted small mono member-id">{m.deploymentId}</div>
    </article>
  );
}

function CommitPoint({ model }: { model: ReleaseModel }) {
  const c = model.commit;
  return (
    <div class={`wave commit-point commit-${c.state}`} data-commit-point={c.state}>
      <header class="wave-head">
        <h2>Commit point</h2>
        <span class={`chip wave-chip commit-chip-${c.state}`}>
          {c.state === 'committed'
            ? `committed ${clockTime(c.at)}`
            : c.state === 'never'
              ? 'never'
              : 'not yet'}
        </span>
      </header>
      <p class="commit-text small">{c.text}</p>
      {model.waiting && (
        <p class="commit-text muted small" data-waiting>
          Waiting for {model.waiting.text}, since {clockTime(model.waiting.since)}.
        </p>
      )}
      <p class="commit-text muted small">
        Until every member holds here, any failure rolls back every member that moved; after it, every member
        finalizes.
      </p>
    </div>
  );
}
