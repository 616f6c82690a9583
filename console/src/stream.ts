/**
 * The live feed: one EventSource on `/console/stream` (with `?deployment=` on a deployment's page,
 * `?release=` on a release's, `?releases` on the list of releases).
 * Each event carries a whole API body and comes again only when it changed; a `failure` says a read
 * failed, and the page keeps showing the last data beside the message.
 */
import { useEffect, useState } from 'preact/hooks';
import { ServerClock } from './clock.ts';
import { type Focus, streamQuery } from './routes.ts';
import type {
  DeploymentDetail,
  DeploymentView,
  ExecutionHistory,
  GroupSummary,
  Meta,
  ReleaseDetail,
  ReleaseView,
} from './types.ts';

export interface Feed {
  meta?: Meta;
  groups?: GroupSummary[];
  deployments?: DeploymentView[];
  detail?: DeploymentDetail;
  execution?: ExecutionHistory;
  releases?: ReleaseView[];
  release?: ReleaseDetail;
  /** The last read failure the server reported, until it reports `recovered`. */
  failure?: string;
  /** False while the connection is down (EventSource retries by itself). */
  connected: boolean;
}

export const clock = new ServerClock();

/** Every timestamp in a body moves the page's idea of the server's time forward. */
function sawTimes(value: unknown, depth = 0): void {
  if (depth > 6 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) sawTimes(v, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && (k === 'at' || k === 'timestamp' || k.endsWith('edAt'))) clock.saw(v);
    else if (typeof v === 'object') sawTimes(v, depth + 1);
  }
}

export function useFeed(focus: Focus): Feed {
  const [feed, setFeed] = useState<Feed>({ connected: false });
  const query = streamQuery(focus);
  useEffect(() => {
    setFeed((f) => ({ ...(f.meta ? { meta: f.meta } : {}), connected: false }));
    const source = new EventSource(`/console/stream${query}`);
    const on = <T>(name: string, apply: (f: Feed, data: T) => Feed) =>
      source.addEventListener(name, (e: MessageEvent<string>) => {
        let data: T;
        try {
          data = JSON.parse(e.data) as T;
        } catch {
          return;
        }
        if (name !== 'meta' && name !== 'failure') sawTimes(data);
        setFeed((f) => apply(f, data));
      });
    // A failure stands until the server says `recovered` (or a failure without a message): other
    // topics may still change while one read keeps failing.
    const fresh = (f: Feed): Feed => ({ ...f, connected: true });
    const recovered = (f: Feed): Feed => {
      const { failure: _, ...rest } = f;
      return { ...rest, connected: true };
    };
    on<Meta>('meta', (f, meta) => {
      clock.set(meta.mode, meta.clock);
      return { ...f, meta, connected: true };
    });
    on<{ groups: GroupSummary[] }>('groups', (f, body) => ({ ...fresh(f), groups: body.groups }));
    on<{ deployments: DeploymentView[] }>('deployments', (f, body) => ({
      ...fresh(f),
      deployments: body.deployments,
    }));
    on<DeploymentDetail>('deployment', (f, detail) => ({ ...fresh(f), detail }));
    on<ExecutionHistory>('execution', (f, execution) => ({ ...fresh(f), execution }));
    on<{ releases: ReleaseView[] }>('releases', (f, body) => ({ ...fresh(f), releases: body.releases }));
    on<ReleaseDetail>('release', (f, release) => ({ ...fresh(f), release }));
    on<{ message?: string | null }>('failure', (f, body) => {
      if (!body.message) return recovered(f);
      return { ...f, failure: body.message };
    });
    on<unknown>('recovered', (f) => recovered(f));
    source.onopen = () => setFeed((f) => ({ ...f, connected: true }));
    source.onerror = () => setFeed((f) => ({ ...f, connected: false }));
    return () => source.close();
  }, [query]);
  return feed;
}

/** Re-renders every `ms` real milliseconds while mounted: countdowns and the chart's "now". */
export function useTicker(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
  return tick;
}
