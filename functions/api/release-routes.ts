/**
 * The routes of releases: several groups deployed as one (./releases.ts).
 */
import { NotFound } from '../core/errors.ts';
import { idempotencyKey, MAX_KEY_LENGTH, parseBody, type Routes } from './http.ts';
import { createRelease, getRelease, listReleases, stopRelease } from './releases.ts';

/** A release id no release can have is not looked up. */
function releaseId(id: string): string {
  if (id.length > MAX_KEY_LENGTH) throw new NotFound(`no release ${id.slice(0, 40)}…`);
  return id;
}

export const RELEASE_ROUTES: Routes = [
  {
    shape: ['releases'],
    methods: {
      GET: async (ctx, req) => ({ status: 200, body: await listReleases(ctx, req.query) }),
      POST: async (ctx, req) => {
        const out = await createRelease(ctx, parseBody(req.body), idempotencyKey(req));
        return { status: out.status, body: out.release };
      },
    },
  },
  {
    shape: ['releases', ':id'],
    methods: {
      GET: async (ctx, _, [id = '']) => ({ status: 200, body: await getRelease(ctx, releaseId(id)) }),
    },
  },
  {
    shape: ['releases', ':id', 'stop'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 202,
        body: await stopRelease(ctx, releaseId(id), parseBody(req.body)),
      }),
    },
  },
];
