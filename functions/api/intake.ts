/**
 * Event intake: the EventBridge events that start deployments.
 * - `aws.s3` / `Object Created` in a Lambda group's bucket and prefix → UpdateFunctionCode + PublishVersion,
 *   then a deployment of that version;
 * - `stepshift` / `Deployment Requested` `{group, revision, config?, description?}` from CI;
 * - `aws.ecr` / `ECR Image Action` (PUSH, SUCCESS) of a tag in an ECS group's repository (and tag filter)
 *   → a deployment of the pushed image, pinned by digest; Install registers its task-definition revision.
 *   An untagged push (each child manifest of a multi-arch image) starts nothing, as the rules say.
 * The deployment id — and so the execution name — is derived from the event id, and the event id is the
 * idempotency key: a redelivered event starts nothing new. What cannot be used is dropped with a reason
 * (the handler sends it to the dead-letter queue), never retried forever. The rules that deliver these
 * events are built in `functions/core/event-rules.ts`, from the same constants.
 */
import * as z from 'zod/mini';
import { Transient, ValidationError } from '../core/errors.ts';
import { DETAIL_TYPES, SOURCES } from '../core/event-rules.ts';
import { triggersOfType } from '../core/groups.ts';
import { problemsFrom } from '../core/problems.ts';
import type { ArtifactPublisher } from '../ports.ts';
import type { ApiContext } from './context.ts';
import { startDeployment } from './start.ts';

/** The Intake function's timeout: the longest one delivery can hold an S3 event's claim while alive. */
export const INTAKE_TIMEOUT_SECONDS = 120;

/**
 * How long an S3 event's claim lasts. Longer than the Intake timeout, so no live delivery loses its claim
 * to another; shorter than the 3 minutes Lambda waits before the last of its two retries (1 min, then 2),
 * so that when the claimant dies midway, a retry of the event still finds the claim expired and finishes.
 */
export const ARTIFACT_CLAIM_SECONDS = INTAKE_TIMEOUT_SECONDS + 30;

export interface IntakeContext extends ApiContext {
  artifacts: ArtifactPublisher;
}

export type IntakeOutcome =
  | { outcome: 'started'; deploymentId: string }
  | { outcome: 'duplicate'; deploymentId: string }
  | { outcome: 'dropped'; reason: string };

const nonEmpty = z.string().check(z.minLength(1));

const envelope = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  account: z.optional(z.string()),
  region: z.optional(z.string()),
  source: nonEmpty,
  'detail-type': nonEmpty,
  detail: z.record(z.string(), z.unknown()),
});

const s3Detail = z.object({
  bucket: z.object({ name: nonEmpty }),
  object: z.object({
    key: nonEmpty,
    size: z.optional(z.number()),
    'version-id': z.optional(z.string()),
  }),
});

const ecrDetail = z.object({
  'action-type': z.string(),
  result: z.string(),
  'repository-name': nonEmpty,
  'image-digest': z.optional(z.string()),
  'image-tag': z.optional(z.string()),
});

/** The deployment id of an event: stable across deliveries, valid as an execution name (≤ 80). */
export function deploymentIdFor(eventId: string): string {
  return `e-${eventId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 80);
}

export async function handleEvent(ctx: IntakeContext, raw: unknown): Promise<IntakeOutcome> {
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) return drop(`not an EventBridge event: ${summary(parsed.error)}`);
  const event = parsed.data;
  const kind = `${event.source} / ${event['detail-type']}`;
  const fixed = { id: deploymentIdFor(event.id), trigger: `event ${event.id} (${kind})` };
  const key = `event-${event.id}`.slice(0, 128).replace(/[^\w.:-]/g, '-');

  const start = async (body: Record<string, unknown>): Promise<IntakeOutcome> => {
    try {
      const { status, deployment } = await startDeployment(ctx, body, key, fixed);
      return status === 201
        ? { outcome: 'started', deploymentId: deployment.id }
        : { outcome: 'duplicate', deploymentId: deployment.id };
    } catch (e) {
      return dropIfPermanent(kind, e);
    }
  };

  if (event.source === SOURCES.stepshift && event['detail-type'] === DETAIL_TYPES.deploymentRequested) {
    return start(event.detail);
  }

  if (event.source === SOURCES.s3 && event['detail-type'] === DETAIL_TYPES.objectCreated) {
    const detail = s3Detail.safeParse(event.detail);
    if (!detail.success) return drop(`${kind}: ${summary(detail.error)}`);
    const { name: bucket } = detail.data.bucket;
    const { key: objectKey, size, 'version-id': objectVersion } = detail.data.object;
    const url = `s3://${bucket}/${objectKey}`;
    const group = triggersOfType(ctx.groups, 's3ObjectCreated').find(
      ({ trigger }) => trigger.bucket === bucket && objectKey.startsWith(trigger.keyPrefix ?? ''),
    )?.group;
    if (!group) return drop(`${kind}: no lambda group has a trigger for ${url}`);
    // Lambda would refuse both with InvalidParameterValueException; saying why is kinder.
    if (objectKey.endsWith('/')) {
      return drop(`${kind}: ${url} is not a deployment package: a folder marker (its key ends in "/")`);
    }
    if (size === 0) return drop(`${kind}: ${url} is not a deployment package: an empty object (0 bytes)`);
    const duplicate = async (): Promise<IntakeOutcome | undefined> => {
      const existing = await ctx.store.get(fixed.id);
      return existing ? { outcome: 'duplicate', deploymentId: existing.id } : undefined;
    };
    const done = await duplicate();
    if (done) return done;
    // Two deliveries of one event must make one code update: the first to claim it goes on; another
    // that finds no deployment yet fails, so that Lambda retries it after the first has finished (or its
    // claim has expired, if it died midway).
    if (!(await ctx.store.claim(`artifact-${key}`, ARTIFACT_CLAIM_SECONDS))) {
      const made = await duplicate();
      if (made) return made;
      throw new Transient(`${kind}: event ${event.id} is being handled by another delivery; retry later`);
    }
    let revision: string;
    try {
      revision = await ctx.artifacts.publishLambda(group, bucket, objectKey, objectVersion);
    } catch (e) {
      return dropIfPermanent(kind, e);
    }
    return start({ group: group.name, revision, description: url });
  }

  if (event.source === SOURCES.ecr && event['detail-type'] === DETAIL_TYPES.imageAction) {
    const detail = ecrDetail.safeParse(event.detail);
    if (!detail.success) return drop(`${kind}: ${summary(detail.error)}`);
    const d = detail.data;
    if (d['action-type'] !== 'PUSH' || d.result !== 'SUCCESS')
      return drop(`${kind}: ${d['action-type']} ${d.result} is not a successful push`);
    const tag = d['image-tag'];
    if (!tag) {
      return drop(
        `${kind}: an untagged push of ${d['repository-name']} (a child manifest of a multi-arch image, or a push by digest) starts no deployment`,
      );
    }
    const group = triggersOfType(ctx.groups, 'ecrPush').find(
      ({ trigger }) => trigger.repository === d['repository-name'] && tagMatches(trigger.tags, tag),
    )?.group;
    if (!group) {
      return drop(
        `${kind}: no ecs group has a trigger for repository ${d['repository-name']}${tag ? ` and tag ${tag}` : ''}`,
      );
    }
    // Pin the image by digest when the event has it: a tag can move, a digest cannot.
    const registry = `${event.account ?? ''}.dkr.ecr.${event.region ?? ''}.amazonaws.com`;
    const image = d['image-digest']
      ? `${registry}/${d['repository-name']}@${d['image-digest']}`
      : `${registry}/${d['repository-name']}:${tag ?? 'latest'}`;
    return start({
      group: group.name,
      revision: image,
      description: `ECR push of ${d['repository-name']}${tag ? `:${tag}` : ''}`,
    });
  }

  return drop(`${kind} is not an event stepshift starts deployments from`);
}

function drop(reason: string): IntakeOutcome {
  return { outcome: 'dropped', reason };
}

/**
 * A failure that can never succeed (unknown group, bad revision, busy group, split alias, an artifact
 * Lambda rejects: a 4xx status) is dropped with its reason; anything else (throttling, an outage) is
 * thrown, and Lambda retries it before sending it to the on-failure destination.
 */
function dropIfPermanent(kind: string, e: unknown): IntakeOutcome {
  if (e instanceof Error && 'status' in e && typeof e.status === 'number' && e.status < 500) {
    return drop(`${kind}: ${e.message}`);
  }
  throw e;
}

function summary(error: z.core.$ZodError): string {
  return new ValidationError('invalid event', problemsFrom(error)).problems
    .map((p) => `${p.path || '(root)'}: ${p.message}`)
    .join('; ');
}

/**
 * A trigger's tag filter, as its rule (`triggerPattern`) has it: absent matches every tag, and no
 * untagged push; a trailing `*` is a prefix.
 */
export function tagMatches(filters: string[] | undefined, tag: string | undefined): boolean {
  if (!tag) return false;
  if (!filters) return true;
  return filters.some((f) => (f.endsWith('*') ? tag.startsWith(f.slice(0, -1)) : tag === f));
}
