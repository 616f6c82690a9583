/** The deployments, newest first, filtered by group, status and text — the filters live in the URL. */
import { STATUSES } from '../../../functions/core/deployment.ts';
import { Empty, PercentBar, StatusBadge } from '../components/bits.tsx';
import { dateTime } from '../format.ts';
import { deploymentHref, listHref } from '../router.ts';
import type { DeploymentView, GroupSummary } from '../types.ts';

export interface Filters {
  group: string;
  status: string;
  q: string;
}

export function matches(d: DeploymentView, f: Filters): boolean {
  if (f.group && d.group !== f.group) return false;
  if (f.status && d.status !== f.status) return false;
  const q = f.q.trim().toLowerCase();
  if (!q) return true;
  return [d.id, d.group, d.revision, d.description ?? '', d.reason ?? '', d.configName, d.trigger ?? '']
    .join(' ')
    .toLowerCase()
    .includes(q);
}

export function DeploymentsPage({
  deployments,
  groups,
  filters,
}: {
  deployments: DeploymentView[] | undefined;
  groups: GroupSummary[] | undefined;
  filters: Filters;
}) {
  const set = (change: Partial<Filters>) => location.replace(listHref({ ...filters, ...change }));
  const groupNames = [
    ...new Set([...(groups ?? []).map((g) => g.name), ...(deployments ?? []).map((d) => d.group)]),
  ].sort();
  const shown = (deployments ?? []).filter((d) => matches(d, filters));
  return (
    <div class="deployments">
      <h1>Deployments</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Group
          <select
            name="group"
            value={filters.group}
            onChange={(e) => set({ group: (e.target as HTMLSelectElement).value })}
          >
            <option value="">all</option>
            {groupNames.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select
            name="status"
            value={filters.status}
            onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}
          >
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          Search
          <input
            name="q"
            type="search"
            placeholder="id, revision, reason…"
            value={filters.q}
            onInput={(e) => set({ q: (e.target as HTMLInputElement).value })}
          />
        </label>
      </form>
      {!deployments ? (
        <Empty>Loading deployments…</Empty>
      ) : shown.length === 0 ? (
        <Empty>
          {deployments.length === 0 ? 'No deployments yet.' : 'No deployment matches these filters.'}
        </Empty>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>Deployment</th>
              <th>Group</th>
              <th>Revision</th>
              <th>Status</th>
              <th>Traffic</th>
              <th>Started</th>
              <th>Ended</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <tr key={d.id} data-deployment={d.id}>
                <td data-label="Deployment">
                  <div>
                    <a href={deploymentHref(d.id)}>{d.id}</a>
                    {d.reason && <div class="muted small reason">{d.reason}</div>}
                  </div>
                </td>
                <td data-label="Group">{d.group}</td>
                <td data-label="Revision">{d.revision}</td>
                <td data-label="Status">
                  <StatusBadge status={d.status} />
                  {d.queuePosition !== undefined && (
                    <span class="muted small queue-position"> #{d.queuePosition} in queue</span>
                  )}
                </td>
                <td data-label="Traffic">
                  <PercentBar value={d.percent} />
                </td>
                <td data-label="Started">{dateTime(d.createdAt)}</td>
                <td data-label="Ended">{dateTime(d.endedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
