/**
 * The HTTP routes only local mode serves, plugged into `serveLocalApi` as its `LocalRoutes`:
 *
 * | route | body | does |
 * | --- | --- | --- |
 * | `POST /local/groups/{group}/versions` | `{errorRate?, latencyMs?}` | publishes a Lambda version; 201 `{version}` |
 * | `POST /local/groups/{group}/images` | `{image, failToStart?, errorRate?, latencyMs?}` | describes an image's behaviour |
 * | `PUT /local/groups/{group}/traffic` | `{rps}` | sets the group's synthetic traffic |
 * | `PUT /local/hooks/{function}` | `{behaviour}` | `succeed`, `fail`, `in-progress:<n>`, `slow:<seconds>` |
 * | `POST /local/buckets/{bucket}/objects` | `{key, contentBase64, errorRate?, latencyMs?}` | puts an object (an artifact) |
 * | `POST /events` | PutEvents' `{Entries: [{Source, DetailType, Detail, Resources?, Time?}]}` | routes by the stack's rules |
 * | `POST /local/deliveries` | a whole EventBridge event | delivers it again, with its id (a redelivery, a replay) |
 * | `GET /dead-letters` | | the events rejected |
 * | `GET /local/notifications` | | what notifications sent: `{sns: [{topicArn, message, at}], webhooks: [{rule, url, body, outcome, status?, error?}]}` |
 *
 * Bodies are strict: an unknown or wrong field is a 400 `{error, message, details}` naming it.
 */
import * as z from 'zod/mini';
import { parse } from '../functions/api/context.ts';
import { errorResponse, type HttpRequest, type HttpResponse, parseBody } from '../functions/api/http.ts';
import { ValidationError } from '../functions/core/errors.ts';
import { errorRateSchema, hookBehaviourSchema, latencyMsSchema, rpsSchema } from './behaviour.ts';
import type { Rehearsal } from './rehearsal.ts';
import type { LocalRoutes } from './server.ts';

/** A string of `min` to `max` characters; `error` when it is not a string. */
const text = (min: number, max: number, error?: string) =>
  z.string(error === undefined ? undefined : { error }).check(z.minLength(min), z.maxLength(max));

const behaviour = { errorRate: z.optional(errorRateSchema), latencyMs: z.optional(latencyMsSchema) };
const versionBody = z.strictObject(behaviour);
const imageBody = z.strictObject({
  image: text(1, 1024, 'must be an image (repository:tag)'),
  failToStart: z.optional(z.boolean({ error: 'must be true or false' })),
  ...behaviour,
});
const trafficBody = z.strictObject({ rps: rpsSchema });
const hookBody = z.strictObject({ behaviour: hookBehaviourSchema });
const objectBody = z.strictObject({
  key: text(1, 1024, 'must be an object key'),
  contentBase64: z.base64({ error: 'must be the object in base64' }),
  ...behaviour,
});
const detailObject = z.string({ error: 'must be the detail as a JSON string' }).check(
  z.refine(
    (text) => {
      try {
        const v: unknown = JSON.parse(text);
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      } catch {
        return false;
      }
    },
    { error: 'must be a JSON object as a string (PutEvents takes Detail as text)' },
  ),
);
const eventsBody = z.strictObject({
  Entries: z
    .array(
      z.strictObject({
        Source: text(1, 256),
        DetailType: text(1, 128),
        Detail: detailObject,
        Resources: z.optional(z.array(z.string().check(z.maxLength(2048))).check(z.maxLength(100))),
        Time: z.optional(z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' })),
        EventBusName: z.optional(z.literal('default', { error: 'local mode has only the default bus' })),
      }),
    )
    .check(
      z.minLength(1, { error: 'must list 1 to 10 entries' }),
      z.maxLength(10, { error: 'must list 1 to 10 entries (PutEvents takes at most 10)' }),
    ),
});
const deliveryBody = z.strictObject({
  version: z.literal('0'),
  id: text(1, 128),
  'detail-type': z.string().check(z.minLength(1)),
  source: z.string().check(z.minLength(1)),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});

function segments(path: string): string[] {
  try {
    return path.replace(/\/+$/, '').split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new ValidationError('invalid path', [
      { path: '', message: `${path} is not valid percent-encoding` },
    ]);
  }
}

/** The local routes over `rehearsal`; any other path is passed on to the application API. */
export function localRoutes(rehearsal: Rehearsal): LocalRoutes {
  return async (req: HttpRequest): Promise<HttpResponse | undefined> => {
    const first = req.path.split('/')[1];
    if (first !== 'local' && first !== 'events' && first !== 'dead-letters') return undefined;
    try {
      const handler = match(rehearsal, segments(req.path));
      if (!handler)
        return {
          status: 404,
          body: { error: 'NotFound', message: `no route ${req.method} ${req.path}`, details: {} },
        };
      const run = handler[req.method];
      if (!run) {
        return {
          status: 405,
          body: {
            error: 'MethodNotAllowed',
            message: `${req.path} takes ${Object.keys(handler).join(', ')}`,
            details: { allowed: Object.keys(handler) },
          },
        };
      }
      return await run(req);
    } catch (e) {
      const response = errorResponse(e);
      if (response.status === 500) console.error(e);
      return response;
    }
  };
}

type Handlers = Record<string, (req: HttpRequest) => Promise<HttpResponse>>;

function match(r: Rehearsal, parts: string[]): Handlers | undefined {
  const [root, kind, name, what, ...rest] = parts;
  if (root === 'events' && parts.length === 1) {
    return {
      POST: async (req) => ({
        status: 200,
        body: await r.putEvents(parse(eventsBody, parseBody(req.body), 'invalid PutEvents request').Entries),
      }),
    };
  }
  if (root === 'dead-letters' && parts.length === 1) {
    return { GET: async () => ({ status: 200, body: { deadLetters: r.deadLetters } }) };
  }
  if (root !== 'local') return undefined;
  if (kind === 'notifications' && parts.length === 2) {
    return { GET: async () => ({ status: 200, body: r.notifications() }) };
  }
  if (kind === 'deliveries' && parts.length === 2) {
    return {
      POST: async (req) => {
        const event = parse(deliveryBody, parseBody(req.body), 'invalid event');
        return { status: 200, body: { deliveries: await r.deliver({ ...event, version: '0' }) } };
      },
    };
  }
  if (kind === 'groups' && name && rest.length === 0) {
    if (what === 'versions') {
      return {
        POST: async (req) => ({
          status: 201,
          body: r.publishVersion(name, parse(versionBody, parseBody(req.body), 'invalid version')),
        }),
      };
    }
    if (what === 'images') {
      return {
        POST: async (req) => {
          const { image, ...b } = parse(imageBody, parseBody(req.body), 'invalid image');
          return { status: 201, body: r.describeImage(name, image, b) };
        },
      };
    }
    if (what === 'traffic') {
      return {
        PUT: async (req) => ({
          status: 200,
          body: r.setTraffic(name, parse(trafficBody, parseBody(req.body), 'invalid traffic').rps),
        }),
      };
    }
  }
  if (kind === 'hooks' && name && parts.length === 3) {
    return {
      PUT: async (req) => ({
        status: 200,
        body: r.setHook(name, parse(hookBody, parseBody(req.body), 'invalid hook behaviour').behaviour),
      }),
    };
  }
  if (kind === 'buckets' && name && what === 'objects' && rest.length === 0) {
    return {
      POST: async (req) => {
        const { key, contentBase64, ...b } = parse(objectBody, parseBody(req.body), 'invalid object');
        return { status: 201, body: r.putObject(name, key, Buffer.from(contentBase64, 'base64'), b) };
      },
    };
  }
  return undefined;
}
