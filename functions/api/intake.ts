/**
 * Event intake: the EventBridge events that start deployments.
 * - `aws.s3` / `Object Created` in a Lambda group's bucket and prefix → UpdateFunctionCode + PublishVersion,
 *   then a deployment of that version;
 * - `stepshift` / `Deployment Requested` `{group, revision, config?, description?}` from CI;
 * - `aws.ecr` / `ECR Image Action` (PUSH, SUCCESS) in an ECS group's repository (and tag filter) → a
 *   deployment of the pushed image, pinned by digest; Install registers its task-definition revision.
 * The deployment id — and so the execution name — is derived from the event id, and the event id is the
 * idempotency key: a redelivered event starts nothing new. What cannot be used is dropped with a reason
 * (the handler sends it to the dead-letter queue), never retried forever.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';
import { triggersOfType } from '../core/group-config.ts';
import { problemsFrom } from '../core/problems.ts';
import type { ArtifactPublisher } from '../ports.ts';
import { type ApiContext, startDeployment } from './operations.ts';

export interface IntakeContext extends ApiContext {
  artifacts: ArtifactPublisher;
}

export type IntakeOutcome =
  | { outcome: 'started'; deploymentId: string }
  | { outcome: 'duplicate'; deploymentId: string }
  | { outcome: 'dropped'; reason: string };

const envelope = z.object({
  id: z.string().min(1).max(128),
  account: z.string().optional(),
  region: z.string().optional(),
  source: z.string().min(1),
  'detail-type': z.string().min(1),
  detail: z.record(z.string(), z.unknown()),
});

const s3Detail = z.object({
  bucket: z.object({ name: z.string().min(1) }),
  object: z.object({ key: z.string().min(1), 'version-id': z.string().optional() }),
});

const ecrDetail = z.object({
  'action-type': z.string(),
  result: z.string(),
  'repository-name': z.string().min(1),
  'image-digest': z.string().optional(),
  'image-tag': z.string().optional(),
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
      // A request that can never succeed (unknown group, bad revision, busy group, split alias) is
      // dropped with its reason; anything else (throttling, an outage) is thrown and retried.
      if (e instanceof Error && 'status' in e && typeof e.status === 'number' && e.status < 500) {
        return drop(`${kind}: ${e.message}`);
      }
      throw e;
    }
  };

  if (event.source === 'stepshift' && event['detail-type'] === 'Deployment Requested') {
    return start(event.detail);
  }

  if (event.source === 'aws.s3' && event['detail-type'] === 'Object Created') {
    const detail = s3Detail.safeParse(event.detail);
    if (!detail.success) return drop(`${kind}: ${summary(detail.error)}`);
    const { name: bucket } = detail.data.bucket;
    const { key: objectKey, 'version-id': objectVersion } = detail.data.object;
    const group = triggersOfType(ctx.groups, 's3ObjectCreated').find(
      ({ trigger }) => trigger.bucket === bucket && objectKey.startsWith(trigger.keyPrefix ?? ''),
    )?.group;
    if (!group) return drop(`${kind}: no lambda group has a trigger for s3://${bucket}/${objectKey}`);
    const existing = await ctx.store.get(fixed.id);
    if (existing) return { outcome: 'duplicate', deploymentId: existing.id };
    const revision = await ctx.artifacts.publishLambda(group, bucket, objectKey, objectVersion);
    return start({ group: group.name, revision, description: `s3://${bucket}/${objectKey}` });
  }

  if (event.source === 'aws.ecr' && event['detail-type'] === 'ECR Image Action') {
    const detail = ecrDetail.safeParse(event.detail);
    if (!detail.success) return drop(`${kind}: ${summary(detail.error)}`);
    const d = detail.data;
    if (d['action-type'] !== 'PUSH' || d.result !== 'SUCCESS')
      return drop(`${kind}: ${d['action-type']} ${d.result} is not a successful push`);
    const tag = d['image-tag'];
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

function summary(error: z.ZodError): string {
  return new ValidationError('invalid event', problemsFrom(error)).problems
    .map((p) => `${p.path || '(root)'}: ${p.message}`)
    .join('; ');
}

/** A trigger's tag filter: absent matches every tag; a trailing `*` is a prefix. */
export function tagMatches(filters: string[] | undefined, tag: string | undefined): boolean {
  if (!filters) return true;
  if (!tag) return false;
  return filters.some((f) => (f.endsWith('*') ? tag.startsWith(f.slice(0, -1)) : tag === f));
}
