/**
 * Hash routes, so one page served at `/` (locally and by `stepshift console`) has every view:
 * `#/` groups, `#/deployments?group=…&status=…&q=…` the list, `#/deployments/<id>` one deployment.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'groups' }
  | { page: 'deployments'; group: string; status: string; q: string }
  | { page: 'deployment'; id: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'deployments' && parts[1]) {
    try {
      return { page: 'deployment', id: decodeURIComponent(parts[1]) };
    } catch {
      return { page: 'deployment', id: parts[1] };
    }
  }
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

export function listHref(filters: { group?: string; status?: string; q?: string }): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  const qs = params.toString();
  return `#/deployments${qs ? `?${qs}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
