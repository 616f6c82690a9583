/**
 * The events that start deployments on AWS, as PutEvents entries in AWS's exact shapes (the samples of
 * test/events/aws-samples.ts): what `stepshift local event …` posts to local mode's `POST /events`.
 * Pure: the CLI builds them without a running local mode.
 */
import { createHash } from 'node:crypto';
import { DETAIL_TYPES, SOURCES } from '../functions/core/event-rules.ts';

/** The simulated account and region, as in the example config's ARNs. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** One entry of an EventBridge PutEvents request. */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  /** The detail as a JSON string, as PutEvents takes it. */
  Detail: string;
  Resources?: string[] | undefined;
  Time?: string | undefined;
}

/**
 * The digest local mode gives a pushed image: stable for a repository and tag, so that `local image`
 * (which describes the image's behaviour) and `local event ecr-push` (which pushes it) agree on it.
 */
export function imageDigest(repository: string, tag: string): string {
  return `sha256:${createHash('sha256').update(`${repository}:${tag}`).digest('hex')}`;
}

/** `shop/web:release-2` → repository `shop/web`, tag `release-2` (a port in a registry host is not a tag). */
export function splitImage(image: string): { repository: string; tag: string | undefined } {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/')
    ? { repository: image.slice(0, colon), tag: image.slice(colon + 1) }
    : { repository: image, tag: undefined };
}

/** What intake deploys for a push of `repository:tag`: the image pinned by digest in the local registry. */
export function pushedImageUri(repository: string, digest: string): string {
  return `${LOCAL_ACCOUNT}.dkr.ecr.${LOCAL_REGION}.amazonaws.com/${repository}@${digest}`;
}

const entry = (source: string, detailType: string, detail: object, resources: string[], time: Date) => ({
  Source: source,
  DetailType: detailType,
  Detail: JSON.stringify(detail),
  Resources: resources,
  Time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
});

/** ECR's "Event for a completed image push". */
export function ecrPushEntry(
  repository: string,
  tag: string,
  time = new Date(),
  digest?: string,
): PutEventsEntry {
  return entry(
    SOURCES.ecr,
    DETAIL_TYPES.imageAction,
    {
      result: 'SUCCESS',
      'repository-name': repository,
      'image-digest': digest ?? imageDigest(repository, tag),
      'action-type': 'PUSH',
      'image-tag': tag,
    },
    [],
    time,
  );
}

/** S3's "Object Created" (a PutObject into a bucket with EventBridge notifications on). */
export function s3PutEntry(
  object: { bucket: string; key: string; size: number; etag: string },
  time = new Date(),
): PutEventsEntry {
  return entry(
    SOURCES.s3,
    DETAIL_TYPES.objectCreated,
    {
      version: '0',
      bucket: { name: object.bucket },
      object: {
        key: object.key,
        size: object.size,
        etag: object.etag,
        sequencer: time.getTime().toString(16),
      },
      'request-id': createHash('md5')
        .update(`${object.key}${time.getTime()}`)
        .digest('hex')
        .slice(0, 16)
        .toUpperCase(),
      requester: LOCAL_ACCOUNT,
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
    [`arn:aws:s3:::${object.bucket}`],
    time,
  );
}

/** CloudWatch's "Alarm State Change" of a metric alarm. */
export function alarmEntry(
  alarmName: string,
  state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA',
  previous: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' = state === 'ALARM' ? 'OK' : 'ALARM',
  time = new Date(),
): PutEventsEntry {
  const timestamp = time.toISOString().replace('Z', '+0000');
  return entry(
    SOURCES.cloudwatch,
    DETAIL_TYPES.alarmStateChange,
    {
      alarmName,
      state: { value: state, reason: 'set by stepshift local event alarm', timestamp },
      previousState: { value: previous, reason: 'before stepshift local event alarm', timestamp },
      configuration: { description: 'a simulated alarm of local mode', metrics: [] },
    },
    [`arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${alarmName}`],
    time,
  );
}

/** stepshift's own "Deployment Requested", as CI sends it. */
export function requestEntry(
  request: { group: string; revision: string; config?: unknown; description?: string },
  time = new Date(),
): PutEventsEntry {
  return entry(SOURCES.stepshift, DETAIL_TYPES.deploymentRequested, request, [], time);
}
