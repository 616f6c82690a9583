/** The releases, newest first: each with its status, how far its waves went, and its members. */
import { Empty, StatusBadge } from '../components/bits.tsx';
import { dateTime } from '../format.ts';
import { releaseModel } from '../release-model.ts';
import { deploymentHref, releaseHref } from '../router.ts';
import type { ReleaseView } from '../types.ts';

export function ReleasesPage({ releases }: { releases: ReleaseView[] | undefined }) {
  return (
    <div class="releases">
      <h1>Releases</h1>
      <p class="muted">
        Several groups deployed as one, all or nothing, in waves: started with <code>POST /releases</code> or{' '}
        <code>stepshift release</code>.
      </p>
      {!releases ? (
        <Empty>Loading releases…</Empty>
      ) : releases.length === 0 ? (
        <Empty>No releases yet.</Empty>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>Release</th>
              <th>Status</th>
              <th>Waves</th>
              <th>Members</th>
              <th>Started</th>
              <th>Ended</th>
            </tr>
          </thead>
          <tbody>
            {releases.map((r) => (
              <tr key={r.id} data-release={r.id}>
                <td data-label="Release">
                  <div>
                    <a href={releaseHref(r.id)}>{r.name}</a>
                    <div class="muted small mono">{r.id}</div>
                    {r.reason && <div class="muted small reason">{r.reason}</div>}
                  </div>
                </td>
                <td data-label="Status">
                  <StatusBadge status={r.status} />
                </td>
                <td data-label="Waves">{releaseModel(r).progress}</td>
                <td data-label="Members">
                  <span class="member-chips">
                    {r.members.map((m) => (
                      <a
                        key={m.group}
                        class={`chip member-chip status-${m.status.toLowerCase().replace(/_/g, '-')}`}
                        href={deploymentHref(m.deploymentId)}
                        title={`${m.group} ${m.revision}: ${m.status.replace(/_/g, ' ')}, ${m.percent} %`}
                        data-member={m.group}
                      >
                        {m.group}
                      </a>
                    ))}
                  </span>
                </td>
                <td data-label="Started">{dateTime(r.createdAt)}</td>
                <td data-label="Ended">{dateTime(r.endedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
