/** Groups: each with its live routing, the deployment holding it now, and how the last one ended. */
import { Empty, PercentBar, StatusBadge } from '../components/bits.tsx';
import { dateTime, percent } from '../format.ts';
import { deploymentHref, listHref } from '../router.ts';
import type { GroupSummary } from '../types.ts';

export function GroupsPage({ groups }: { groups: GroupSummary[] | undefined }) {
  if (!groups) return <Empty>Loading groups…</Empty>;
  if (groups.length === 0) return <Empty>No deployment groups are declared.</Empty>;
  return (
    <div class="groups">
      <h1>Deployment groups</h1>
      <div class="cards">
        {groups.map((g) => (
          <GroupCard key={g.name} group={g} />
        ))}
      </div>
    </div>
  );
}

function GroupCard({ group: g }: { group: GroupSummary }) {
  return (
    <article class="card group" data-group={g.name}>
      <header class="card-head">
        <h2>
          <a href={listHref({ group: g.name })}>{g.name}</a>
        </h2>
        <span class={`kind kind-${g.kind}`}>{g.kind === 'ecs' ? 'ECS' : 'Lambda'}</span>
      </header>
      {g.description && <p class="muted">{g.description}</p>}
      <dl class="facts">
        <dt>Config</dt>
        <dd>{g.deploymentConfig}</dd>
        <dt>Routing</dt>
        <dd>
          {g.routing ? (
            <>
              <span class="routing">{g.routing.description}</span>
              {g.routing.percentNew !== undefined && g.routing.percentNew > 0 && (
                <PercentBar value={g.routing.percentNew} />
              )}
            </>
          ) : g.routingError ? (
            <span class="error-text">{g.routingError}</span>
          ) : (
            <span class="muted">—</span>
          )}
        </dd>
        <dt>Active</dt>
        <dd>
          {g.active ? (
            <span class="inline">
              <a href={deploymentHref(g.active.id)}>{g.active.id}</a> <StatusBadge status={g.active.status} />{' '}
              <span class="muted">
                rev {g.active.revision}, {percent(g.active.percent)}
              </span>
            </span>
          ) : (
            <span class="muted">none</span>
          )}
        </dd>
        <dt>Last</dt>
        <dd>
          {g.last ? (
            <span class="inline">
              <a href={deploymentHref(g.last.id)}>{g.last.id}</a> <StatusBadge status={g.last.status} />{' '}
              <span class="muted">
                rev {g.last.revision}
                {g.last.endedAt ? `, ${dateTime(g.last.endedAt)}` : ''}
              </span>
            </span>
          ) : (
            <span class="muted">no deployment yet</span>
          )}
        </dd>
        <dt>Alarms</dt>
        <dd>{g.alarms.length > 0 ? g.alarms.join(', ') : <span class="muted">none</span>}</dd>
      </dl>
    </article>
  );
}
