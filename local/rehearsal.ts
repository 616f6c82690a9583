/**
 * The rehearsal operations of local mode — publish a version with behaviour, describe an image, make a
 * hook succeed or fail, set a group's traffic, put an object in a bucket, put events on the bus — one
 * set, used by the local routes (and so the CLI) and by the demo.
 *
 * The event bus routes by the rules the AWS stack synthesizes (`eventRules`, matched by
 * `local/event-pattern.ts`) to the same targets: Intake (`handleEvent`), AlarmIntake and ExecutionEnded.
 * What Intake drops, and what a target throws on, is kept as a dead letter in the shapes of
 * docs/events.md.
 */
import { randomUUID } from 'node:crypto';
import { handleEvent, type IntakeContext } from '../functions/api/intake.ts';
import { NotFound, ValidationError } from '../functions/core/errors.ts';
import { eventRules, type RuleTarget } from '../functions/core/event-rules.ts';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import { makeAlarmHandler } from '../functions/handlers/alarm-intake.ts';
import { makeExecutionEndedHandler } from '../functions/handlers/execution-ended.ts';
import { LocalArtifactPublisher, LocalBuckets, type StoredObject } from './artifacts.ts';
import type { SnsPublish } from './aws/sns.ts';
import {
  imageDigest,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type PutEventsEntry,
  pushedImageUri,
  splitImage,
} from './aws-events.ts';
import type { HookBehaviour } from './behaviour.ts';
import { imageProfile, versionProfile } from './behaviour.ts';
import { compileEventPattern, type EventMatcher } from './event-pattern.ts';
import type { LocalStepShift } from './index.ts';
import type { WebhookDelivery } from './notifications.ts';

/** The local state machine's ARN: what the ExecutionEnded rule names. */
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:stepshift-local`;

/** An EventBridge event as a target receives it. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface Delivery {
  rule: string;
  target: RuleTarget;
  result: unknown;
}

/** A rejected event, as the dead-letter queue body of docs/events.md ("dropped by Intake" or "failed"). */
export type DeadLetter =
  | { queue: 'IntakeDeadLetters'; reason: string; event: BusEvent }
  | {
      queue: `${RuleTarget}DeadLetters`;
      requestPayload: BusEvent;
      responsePayload: { errorMessage: string; errorType: string };
    };

export class Rehearsal {
  readonly deadLetters: DeadLetter[] = [];
  readonly buckets: LocalBuckets;
  private readonly intake: IntakeContext;
  private readonly rules: { id: string; target: RuleTarget; matches: EventMatcher }[];

  constructor(
    private readonly local: LocalStepShift,
    options: { bucketRoot: string },
  ) {
    this.buckets = new LocalBuckets(options.bucketRoot);
    this.intake = { ...local.ctx, artifacts: new LocalArtifactPublisher(local.account, this.buckets) };
    this.rules = eventRules(Object.values(local.ctx.groups.groups), LOCAL_STATE_MACHINE_ARN).map((r) => ({
      id: r.id,
      target: r.target,
      matches: compileEventPattern(r.pattern),
    }));
  }

  private group(name: string): DeploymentGroup {
    const group = Object.hasOwn(this.local.ctx.groups.groups, name)
      ? this.local.ctx.groups.groups[name]
      : undefined;
    if (!group) {
      throw new NotFound(
        `no group named "${name}"; declared: ${Object.keys(this.local.ctx.groups.groups).join(', ')}`,
      );
    }
    return group;
  }

  /** The group, if it is of `kind`; else a 400 saying which command fits it. */
  private groupOf<K extends DeploymentGroup['kind']>(
    name: string,
    kind: K,
  ): Extract<DeploymentGroup, { kind: K }> {
    const group = this.group(name);
    if (group.kind !== kind) {
      const instead =
        group.kind === 'ecs'
          ? 'an ECS group: describe an image instead (stepshift local image)'
          : 'a Lambda group: publish a version instead (stepshift local publish)';
      throw new ValidationError(`not ${kind === 'ecs' ? 'an ECS' : 'a Lambda'} group`, [
        { path: 'group', message: `${name} is ${instead}` },
      ]);
    }
    return group as Extract<DeploymentGroup, { kind: K }>;
  }

  /** Publishes a new version of the group's function with that behaviour (what is left out is healthy). */
  publishVersion(
    groupName: string,
    behaviour: { errorRate?: number | undefined; latencyMs?: number | undefined } = {},
  ): { group: string; functionName: string; version: string } {
    const { functionName } = this.groupOf(groupName, 'lambda').target;
    const version = this.local.account.publishVersion(functionName, versionProfile(behaviour));
    return { group: groupName, functionName, version };
  }

  /**
   * Describes how tasks of an image behave, under the names a deployment may give it: as written, and
   * pinned by the digest a `local event ecr-push` of it carries.
   */
  describeImage(
    groupName: string,
    image: string,
    behaviour: {
      errorRate?: number | undefined;
      latencyMs?: number | undefined;
      failToStart?: boolean | undefined;
    } = {},
  ): { group: string; image: string; digest?: string; pushedAs?: string } {
    this.groupOf(groupName, 'ecs');
    const profile = imageProfile(behaviour);
    this.local.account.defineImage(image, profile);
    const { repository, tag } = splitImage(image);
    if (!tag) return { group: groupName, image };
    const digest = imageDigest(repository, tag);
    const pushedAs = pushedImageUri(repository, digest);
    this.local.account.defineImage(pushedAs, profile);
    return { group: groupName, image, digest, pushedAs };
  }

  /** Makes a declared hook function answer as `behaviour` says from its next invocation on. */
  setHook(
    functionName: string,
    behaviour: HookBehaviour,
  ): { functionName: string; behaviour: HookBehaviour } {
    const declared = Object.values(this.local.ctx.groups.groups).some((g) =>
      Object.values(g.hooks).some((specs) => specs.some((h) => h.functionName === functionName)),
    );
    if (!declared) throw new NotFound(`no group declares a hook function named "${functionName}"`);
    this.local.account.setHookBehaviour(functionName, behaviour);
    return { functionName, behaviour };
  }

  /** Synthetic requests per virtual second through the group's alias, or its production listener. */
  setTraffic(groupName: string, rps: number): { group: string; rps: number } {
    const group = this.group(groupName);
    if (group.kind === 'lambda') this.local.account.lambda.setRps(group.target.functionName, rps);
    else this.local.account.elb.setListenerRps(group.target.listener ?? group.target.listenerRule ?? '', rps);
    return { group: groupName, rps };
  }

  putObject(
    bucket: string,
    key: string,
    content: Buffer,
    behaviour: { errorRate?: number | undefined; latencyMs?: number | undefined } = {},
  ): StoredObject {
    return this.buckets.put(bucket, key, content, versionProfile(behaviour));
  }

  /**
   * What the groups' notifications sent: the SNS publishes recorded on the simulated account, and each
   * webhook POST with its outcome (docs/notifications.md).
   */
  notifications(): { sns: readonly SnsPublish[]; webhooks: readonly WebhookDelivery[] } {
    return { sns: this.local.account.sns.published, webhooks: this.local.notifier.deliveries };
  }

  /**
   * PutEvents: each entry becomes an event with a new id, delivered to the target of every rule it
   * matches. Answers as PutEvents does, with each entry's matched rules and deliveries added.
   */
  async putEvents(entries: readonly PutEventsEntry[]): Promise<{
    FailedEntryCount: number;
    Entries: { EventId: string; MatchedRules: string[]; Deliveries: Delivery[] }[];
  }> {
    const out = [];
    for (const e of entries) {
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': e.DetailType,
        source: e.Source,
        account: LOCAL_ACCOUNT,
        time: e.Time ?? new Date(this.local.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: LOCAL_REGION,
        resources: e.Resources ?? [],
        detail: JSON.parse(e.Detail),
      };
      const deliveries = await this.deliver(event);
      out.push({ EventId: event.id, MatchedRules: deliveries.map((d) => d.rule), Deliveries: deliveries });
    }
    return { FailedEntryCount: 0, Entries: out };
  }

  /**
   * Delivers one whole event (a redelivery, or a replay from the dead letters: it keeps its id, so it
   * starts at most one deployment) to the targets of the rules it matches.
   */
  async deliver(event: BusEvent): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    for (const rule of this.rules.filter((r) => r.matches(event))) {
      deliveries.push({ rule: rule.id, target: rule.target, result: await this.invoke(rule.target, event) });
    }
    return deliveries;
  }

  private async invoke(target: RuleTarget, event: BusEvent): Promise<unknown> {
    try {
      if (target === 'Intake') {
        const outcome = await handleEvent(this.intake, event);
        if (outcome.outcome === 'dropped')
          this.deadLetters.push({ queue: 'IntakeDeadLetters', reason: outcome.reason, event });
        return outcome;
      }
      if (target === 'AlarmIntake') return await makeAlarmHandler(() => this.local.ctx)(event);
      return await makeExecutionEndedHandler(() => this.local.ctx)(event);
    } catch (e) {
      // Lambda would retry twice, then send the invocation record to the on-failure destination.
      const error = e instanceof Error ? e : new Error(String(e));
      this.deadLetters.push({
        queue: `${target}DeadLetters`,
        requestPayload: event,
        responsePayload: { errorMessage: error.message, errorType: error.name },
      });
      return { failed: `${error.name}: ${error.message}` };
    }
  }
}
