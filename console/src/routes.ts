/**
 * Hash routes, so one page served at `/` (locally and by `stepshift console`) has every view:
 * `#/` groups, `#/deployments?group=…&status=…&q=…` the list, `#/deployments/<id>` one deployment,
 * `#/releases` the releases, `#/releases/<id>` one release — and what each page's stream follows.
 * Pure, without preact, so the tests read it as the page does (./router.ts adds the hook).
 */

export type Route =
  | { page: 'groups' }
  | { page: 'deployments'; group: string; status: string; q: string }
  | { page: 'deployment'; id: string }
  | { page: 'releases' }
  | { page: 'release'; id: string };

/** A path segment decoded; one that does not decode is taken as it is. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'deployments' && parts[1]) return { page: 'deployment', id: decoded(parts[1]) };
  if (parts[0] === 'releases' && parts[1]) return { page: 'release', id: decoded(parts[1]) };
  if (parts[0] === 'releases') return { page: 'releases' };
  if (parts[0] === 'deployments') {
    return {
      page: 'deployments',
      group: params.get('group') ?? '',
      status: params.get('status') ?? '',
      q: params.get('q') ?? '',
    };
  }
  return { page: 'groups' };
}

export function deploymentHref(id: string): string {
  return `#/deployments/${encodeURIComponent(id)}`;
}

export function releaseHref(id: string): string {
  return `#/releases/${encodeURIComponent(id)}`;
}

export const RELEASES_HREF = '#/releases';

export function listHref(filters: { group?: string; status?: string; q?: string }): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  const qs = params.toString();
  return `#/deployments${qs ? `?${qs}` : ''}`;
}

/** What a page follows beyond the groups and deployments: one deployment, one release, or the releases. */
export type Focus = { deployment: string } | { release: string } | { releases: true } | undefined;

export function focusOf(route: Route): Focus {
  if (route.page === 'deployment') return { deployment: route.id };
  if (route.page === 'release') return { release: route.id };
  if (route.page === 'releases') return { releases: true };
  return undefined;
}

/** The stream's query for a focus (console/serve.ts `focusOf` reads it). */
export function streamQuery(focus: Focus): string {
  if (!focus) return '';
  if ('deployment' in focus) return `?deployment=${encodeURIComponent(focus.deployment)}`;
  if ('release' in focus) return `?release=${encodeURIComponent(focus.release)}`;
  return '?releases';
}
