/**
 * The schema of the group config file, field by field: what each field may hold, and the error a
 * wrong value gets (each names the rule). Strict objects, so a typo is an error, not ignored. zod/mini,
 * whose functions the Lambda bundles tree-shake (classic zod's methods cannot be): `z.optional(s)` for
 * `s.optional()`, `s.check(z.maxLength(n))` for `s.max(n)`, with the same issues and messages.
 * The checks that span fields or groups, and the resolution, are in group-config.ts.
 */
import * as z from 'zod/mini';
import { AGGREGATES, BUILTIN_METRICS, PLACEHOLDERS, REVISION_PLACEHOLDER } from './analysis.ts';
import { type ComputePlatform, deploymentConfigInputSchema, predefinedConfig } from './configs.ts';
import {
  APPROVAL_POINTS,
  ECS_HOOK_EVENTS,
  LAMBDA_HOOK_EVENTS,
  NOTIFICATION_EVENTS,
  ON_BUSY,
  ROLLBACK_EVENTS,
} from './groups.ts';
import { typeRule } from './problems.ts';

/** As CodeDeploy: a hook has one hour to decide unless told otherwise. */
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 3_600;
/** CodeDeploy allows at most 10 alarms per deployment group. */
export const MAX_ALARMS = 10;

const FUNCTION_NAME = /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}$/;
const ALIAS_NAME = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ALARM_NAME = /^[^\s].{0,254}$/;
const ELB_ARN = (kind: string) =>
  new RegExp(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:${kind}/.+`);

const functionName = () =>
  z.string(typeRule('must be a string')).check(
    z.regex(FUNCTION_NAME, {
      error: 'must be a Lambda function name (1–64 of A–Z a–z 0–9 - _) or a function ARN',
    }),
  );

const hookSchema = () =>
  z.union(
    [
      functionName(),
      z.strictObject({
        functionName: functionName(),
        timeoutSeconds: z.optional(
          z
            .int(typeRule('must be a whole number of seconds'))
            .check(
              z.gte(1, { error: 'must be at least 1 second' }),
              z.lte(43_200, { error: 'must be at most 43200 seconds (12 hours)' }),
            ),
        ),
      }),
    ],
    { error: 'must be a function name or {functionName, timeoutSeconds?}' },
  );

function hooksSchema<const E extends readonly string[]>(events: E, kind: ComputePlatform) {
  const shape = Object.fromEntries(
    events.map((e) => [e, z.optional(z.array(hookSchema(), typeRule('must be a list of hook functions')))]),
  ) as { [K in E[number]]: z.ZodMiniOptional<z.ZodMiniArray<ReturnType<typeof hookSchema>>> };
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `is not a lifecycle event of ${kind} groups (valid: ${events.join(', ')})`
        : undefined,
  });
}

/** A string matching `pattern`, else `error`. */
const matching = (pattern: RegExp, error: string) => z.string().check(z.regex(pattern, { error }));
/** A string of `min` to `max` characters. */
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

const alarmsSchema = () =>
  z
    .array(
      matching(ALARM_NAME, 'must be a CloudWatch alarm name (1–255 characters)'),
      typeRule('must be a list of CloudWatch alarm names'),
    )
    .check(
      z.maxLength(MAX_ALARMS, { error: `must list at most ${MAX_ALARMS} alarms` }),
      z.refine((names) => new Set(names).size === names.length, { error: 'must not list an alarm twice' }),
    );

const autoRollbackSchema = () =>
  z.strictObject({
    enabled: z._default(z.boolean(typeRule('must be true or false')), true),
    events: z._default(
      z.array(z.enum(ROLLBACK_EVENTS, { error: `must be one of ${ROLLBACK_EVENTS.join(', ')}` })),
      [...ROLLBACK_EVENTS],
    ),
  });

const s3Trigger = () =>
  z.strictObject({
    type: z.literal('s3ObjectCreated'),
    bucket: matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    keyPrefix: z.optional(z.string().check(z.maxLength(1024))),
  });
const ecrTrigger = () =>
  z.strictObject({
    type: z.literal('ecrPush'),
    repository: matching(/^[a-z0-9][a-z0-9._/-]{1,255}$/, 'must be an ECR repository name'),
    /** Tags to react to; a trailing `*` matches a prefix. Absent: every tag. */
    tags: z.optional(z.array(text(1, 128)).check(z.minLength(1))),
  });
const requestedTrigger = () => z.strictObject({ type: z.literal('deploymentRequested') });

function triggerError(aGroup: string, types: string) {
  return {
    error: (issue: { code?: string }) =>
      issue.code === 'invalid_union' ? `type must be one of ${types} for ${aGroup} group` : undefined,
  };
}

const lambdaTriggersSchema = () =>
  z.array(
    z.discriminatedUnion(
      'type',
      [s3Trigger(), requestedTrigger()],
      triggerError('a lambda', 's3ObjectCreated, deploymentRequested'),
    ),
  );
const ecsTriggersSchema = () =>
  z.array(
    z.discriminatedUnion(
      'type',
      [ecrTrigger(), requestedTrigger()],
      triggerError('an ecs', 'ecrPush, deploymentRequested'),
    ),
  );

/**
 * A config field of a `kind` group. Predefined configs name their platform: an ECS config on a Lambda
 * group is a mistake, not a synonym. Checked on the field, so it is reported with the group's other
 * problems.
 */
function configFor(kind: ComputePlatform) {
  return deploymentConfigInputSchema.check((ctx) => {
    if (typeof ctx.value !== 'string') return;
    const entry = predefinedConfig(ctx.value);
    if (entry && entry.platform !== kind) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `${entry.name} is a config for ${entry.platform} groups, not ${kind} groups`,
      });
    }
  });
}

/** At most this many analysis checks a group (each run reads them in one GetMetricData call). */
export const MAX_CHECKS = 10;
/** GetMetricData's limit on a metric-math expression's length. */
export const MAX_EXPRESSION_LENGTH = 2048;

/** The built-in metrics each kind can read: an ALB target group has no throttle count. */
export const METRICS_OF: Record<ComputePlatform, readonly (typeof BUILTIN_METRICS)[number][]> = {
  lambda: BUILTIN_METRICS,
  ecs: ['errorRate', 'latencyP90', 'latencyP99'],
};

/**
 * CloudWatch dimensions that name one kind's revisions: an expression that uses another kind's measures
 * something that does not exist for this group (ExecutedVersion is Lambda's, TargetGroup the ALB's).
 */
const FOREIGN_DIMENSIONS: Record<ComputePlatform, readonly string[]> = {
  lambda: ['TargetGroup', 'LoadBalancer', 'AWS/ApplicationELB'],
  ecs: ['ExecutedVersion', 'FunctionName', 'AWS/Lambda'],
};

const count = (what: string, max: number) =>
  z
    .int(typeRule(`must be a whole number of ${what}`))
    .check(z.gte(0, { error: `must be 0 or more ${what}` }), z.lte(max, { error: `must be at most ${max}` }));

const action = () => z.enum(['rollback', 'continue'], { error: 'must be "rollback" or "continue"' });

function builtinMetric(kind: ComputePlatform) {
  const allowed = METRICS_OF[kind];
  return z.string(typeRule('must be a metric name or {expression}')).check((ctx) => {
    if (allowed.includes(ctx.value as (typeof allowed)[number])) return;
    const known = (BUILTIN_METRICS as readonly string[]).includes(ctx.value);
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: known
        ? `${ctx.value} cannot be measured for ${kind} groups (they have: ${allowed.join(', ')})`
        : `must be one of ${allowed.join(', ')}, or {expression} for a CloudWatch metric-math expression`,
    });
  });
}

function expressionMetric(kind: ComputePlatform) {
  return z.strictObject({
    expression: z.string(typeRule('must be a CloudWatch metric-math expression')).check(
      z.minLength(1, { error: 'must not be empty' }),
      z.maxLength(MAX_EXPRESSION_LENGTH, {
        error: `must be at most ${MAX_EXPRESSION_LENGTH} characters (GetMetricData's limit)`,
      }),
      (ctx) => {
        const expression = ctx.value;
        const unknown = [...expression.matchAll(/\$\{([^}]*)\}/g)]
          .map((m) => m[0])
          .filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
        const problem = !expression.includes(REVISION_PLACEHOLDER)
          ? `must use ${REVISION_PLACEHOLDER}, which stands for the revision measured: without it, the check measures the same thing for both revisions`
          : unknown.length > 0
            ? `uses ${unknown.join(', ')}: the placeholders are \${revision} and \${baseline}`
            : FOREIGN_DIMENSIONS[kind]
                .filter((d) => expression.includes(d))
                .map(
                  (d) =>
                    `uses ${d}, which ${kind} groups do not have: ${kind === 'lambda' ? 'ExecutedVersion (AWS/Lambda) picks a Lambda version' : 'TargetGroup (AWS/ApplicationELB) picks an ECS revision'}`,
                )[0];
        if (problem) ctx.issues.push({ code: 'custom', input: expression, message: problem });
      },
    ),
    aggregate: z._default(
      z.enum(AGGREGATES, { error: `must be one of ${AGGREGATES.join(', ')}` }),
      'average',
    ),
    /** Local mode has no CloudWatch: it reads this built-in metric of the synthetic traffic instead. */
    local: z._default(builtinMetric(kind), 'errorRate'),
  });
}

function analysisCheck(kind: ComputePlatform) {
  return z
    .strictObject({
      name: matching(
        /^[A-Za-z][A-Za-z0-9_-]{0,63}$/,
        'must be 1–64 of A–Z a–z 0–9 - _, starting with a letter',
      ),
      metric: z.union([builtinMetric(kind), expressionMetric(kind)], {
        error: (issue) =>
          issue.code === 'invalid_union'
            ? 'must be a built-in metric name or {expression, aggregate?, local?}'
            : undefined,
      }),
      max: z.optional(z.number(typeRule('must be a number')).check(z.gte(0, { error: 'must be 0 or more' }))),
      relative: z.optional(
        z.strictObject({
          tolerance: z
            .number(typeRule('must be a fraction (0.5 allows 50 % above the baseline)'))
            .check(z.gte(0, { error: 'must be 0 or more' }), z.lte(100, { error: 'must be at most 100' })),
          slack: z._default(
            z.number(typeRule('must be a number')).check(z.gte(0, { error: 'must be 0 or more' })),
            0,
          ),
        }),
      ),
      minSamples: z._default(count('samples', 1_000_000), 50),
      intervalSeconds: z._default(
        z.int(typeRule('must be a whole number of seconds')).check(
          z.gte(60, {
            error: "must be at least 60: CloudWatch's Lambda and ALB metrics come a minute at a time",
          }),
          z.lte(3600, { error: 'must be at most 3600 (an hour)' }),
          z.multipleOf(60, {
            error: 'must be a whole number of minutes (60, 120, …): metrics come a minute at a time',
          }),
        ),
        60,
      ),
      failureLimit: z._default(count('runs', 100), 0),
      inconclusiveLimit: z._default(count('runs', 100), 3),
      onInconclusive: z._default(action(), 'rollback'),
      errorLimit: z._default(count('runs', 100), 3),
      onError: z._default(action(), 'rollback'),
    })
    .check((ctx) => {
      const c = ctx.value;
      if (c.max === undefined && c.relative === undefined) {
        ctx.issues.push({
          code: 'custom',
          input: c,
          path: ['max'],
          message: 'give max, relative, or both: a check needs a condition to judge by',
        });
      }
    });
}

function analysisSchema(kind: ComputePlatform) {
  return z
    .array(analysisCheck(kind), typeRule('must be a list of checks'))
    .check(z.maxLength(MAX_CHECKS, { error: `must list at most ${MAX_CHECKS} checks` }), (ctx) => {
      const seen = new Set<string>();
      ctx.value.forEach((check, i) => {
        if (seen.has(check.name)) {
          ctx.issues.push({
            code: 'custom',
            input: check.name,
            path: [i, 'name'],
            message: `another check is named ${check.name}: names must differ`,
          });
        }
        seen.add(check.name);
      });
    });
}

/** The most deployments a group's queue holds by default, and at most. */
export const DEFAULT_MAX_QUEUED = 5;
export const MAX_QUEUED = 50;

export const MAX_NOTIFICATIONS = 10;

const SNS_TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
/** HTTPS (EventBridge API destinations call HTTPS endpoints only), or a loopback HTTP URL for local mode. */
const WEBHOOK_URL =
  /^(https:\/\/[^\s/?#]+|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?)([/?#][^\s]*)?$/;

const notificationSchema = () =>
  z
    .strictObject({
      events: z
        .array(z.enum(NOTIFICATION_EVENTS, { error: `must be one of ${NOTIFICATION_EVENTS.join(', ')}` }))
        .check(
          z.minLength(1, { error: 'must name at least one event' }),
          z.refine((events) => new Set(events).size === events.length, {
            error: 'must not name an event twice',
          }),
        ),
      /** An SNS topic that receives the notification. */
      sns: z.optional(matching(SNS_TOPIC, 'must be an SNS topic ARN')),
      /** A URL that receives a Slack-compatible JSON POST (`{"text": …}`). */
      webhook: z.optional(
        matching(
          WEBHOOK_URL,
          'must be an https:// URL (or http:// on 127.0.0.1 / localhost, for local mode)',
        ).check(z.maxLength(2048, { error: 'must be at most 2048 characters' })),
      ),
    })
    .check((ctx) => {
      if (ctx.value.sns === undefined && ctx.value.webhook === undefined) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: ['sns'],
          message: 'give sns, webhook, or both: where the notification goes',
        });
      }
    });

function common(kind: ComputePlatform) {
  return {
    description: z.optional(z.string().check(z.maxLength(512))),
    deploymentConfig: configFor(kind),
    /** The configs a deployment request may choose instead of the default. Absent: any of the platform's. */
    allowedConfigs: z.optional(z.array(configFor(kind))),
    alarms: z._default(alarmsSchema(), []),
    autoRollback: z._default(autoRollbackSchema(), { enabled: true, events: [...ROLLBACK_EVENTS] }),
    /** Canary analysis: checks on the new revision's own metrics (core/analysis.ts). */
    analysis: z._default(analysisSchema(kind), []),
    /** A person approves before the first shift, or before the shift to 100 % (a pause with no timeout). */
    approval: z.optional(z.enum(APPROVAL_POINTS, { error: `must be one of ${APPROVAL_POINTS.join(', ')}` })),
    /** What a start does while another deployment of the group is active; a request may say otherwise. */
    onBusy: z._default(z.enum(ON_BUSY, { error: `must be one of ${ON_BUSY.join(', ')}` }), 'reject'),
    /** How many deployments may wait in the group's queue (onBusy: queue). */
    maxQueued: z._default(
      z
        .int(typeRule('must be a whole number'))
        .check(
          z.gte(1, { error: 'must be at least 1' }),
          z.lte(MAX_QUEUED, { error: `must be at most ${MAX_QUEUED}` }),
        ),
      DEFAULT_MAX_QUEUED,
    ),
    /** Notifications, as CodeDeploy's triggers: events to an SNS topic and/or a webhook. */
    notifications: z._default(
      z
        .array(notificationSchema())
        .check(
          z.maxLength(MAX_NOTIFICATIONS, { error: `must list at most ${MAX_NOTIFICATIONS} notifications` }),
        ),
      [],
    ),
  };
}

const lambdaGroupSchema = () =>
  z.strictObject({
    kind: z.literal('lambda'),
    ...common('lambda'),
    target: z.strictObject({
      functionName: functionName(),
      alias: matching(ALIAS_NAME, 'must be an alias name (not only digits)'),
    }),
    hooks: z._default(hooksSchema(LAMBDA_HOOK_EVENTS, 'lambda'), {}),
    triggers: z._default(lambdaTriggersSchema(), []),
  });

const ecsGroupSchema = () =>
  z.strictObject({
    kind: z.literal('ecs'),
    ...common('ecs'),
    target: z
      .strictObject({
        cluster: text(1, 255),
        blueService: text(1, 255),
        greenService: text(1, 255),
        blueTargetGroup: matching(ELB_ARN('targetgroup'), 'must be a target group ARN'),
        greenTargetGroup: matching(ELB_ARN('targetgroup'), 'must be a target group ARN'),
        listener: z.optional(matching(ELB_ARN('listener'), 'must be a listener ARN')),
        listenerRule: z.optional(matching(ELB_ARN('listener-rule'), 'must be a listener rule ARN')),
        testListener: z.optional(matching(ELB_ARN('listener'), 'must be a listener ARN')),
        /** The container whose image an image revision replaces. */
        container: z.optional(text(1, 255)),
        /** Roles the task definition names (task and execution role): registering an image revision passes them. */
        taskRoles: z.optional(
          z
            .array(matching(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/, 'must be an IAM role ARN'))
            .check(z.maxLength(10)),
        ),
        /** How long the old service keeps its tasks after all traffic has moved (CodeDeploy's default: 5). */
        terminationWaitMinutes: z._default(z.int().check(z.gte(0), z.lte(2_880)), 5),
        /** How long the new service may take to become steady before the deployment fails. */
        steadyTimeoutMinutes: z._default(z.int().check(z.gte(1), z.lte(120)), 30),
      })
      .check((ctx) => {
        const t = ctx.value;
        if ((t.listener === undefined) === (t.listenerRule === undefined)) {
          ctx.issues.push({
            code: 'custom',
            input: t,
            path: ['listener'],
            message: 'give exactly one of listener or listenerRule',
          });
        }
        if (t.blueService === t.greenService) {
          ctx.issues.push({
            code: 'custom',
            input: t,
            path: ['greenService'],
            message: 'must differ from blueService',
          });
        }
        if (t.testListener !== undefined && t.testListener === t.listener) {
          ctx.issues.push({
            code: 'custom',
            input: t,
            path: ['testListener'],
            message:
              'must differ from listener: test traffic on the production listener is production traffic',
          });
        }
        if (t.container !== undefined && t.taskRoles === undefined) {
          ctx.issues.push({
            code: 'custom',
            input: t,
            path: ['taskRoles'],
            message:
              "is required with container: registering an image's task definition passes its roles (iam:PassRole); list the task definition's taskRoleArn and executionRoleArn, or [] if it has none",
          });
        }
        if (t.blueTargetGroup === t.greenTargetGroup) {
          ctx.issues.push({
            code: 'custom',
            input: t,
            path: ['greenTargetGroup'],
            message: 'must differ from blueTargetGroup',
          });
        }
      }),
    hooks: z._default(hooksSchema(ECS_HOOK_EVENTS, 'ecs'), {}),
    triggers: z._default(ecsTriggersSchema(), []),
  });

const groupSchema = () =>
  z.discriminatedUnion('kind', [lambdaGroupSchema(), ecsGroupSchema()], {
    error: (issue) => (issue.code === 'invalid_union' ? 'must be "lambda" or "ecs"' : undefined),
  });

const buildGroupConfigFileSchema = () =>
  z.strictObject({
    $schema: z.optional(z.string()),
    groups: z
      .record(
        matching(GROUP_NAME, 'group names are 1–64 of A–Z a–z 0–9 - _, starting with a letter or digit'),
        groupSchema(),
      )
      .check(
        z.refine((groups) => Object.keys(groups).length > 0, { error: 'must declare at least one group' }),
      ),
  });

export type HookSchema = ReturnType<typeof hookSchema>;
export type LambdaGroupSchema = ReturnType<typeof lambdaGroupSchema>;
export type EcsGroupSchema = ReturnType<typeof ecsGroupSchema>;
export type GroupConfigFileSchema = ReturnType<typeof buildGroupConfigFileSchema>;

let fileSchema: GroupConfigFileSchema | undefined;

/**
 * The schema of the whole file, built on first use and kept. Every schema here is built in a function,
 * not when the module loads: group-config.ts imports this module, and a schema built at module level is
 * kept, with zod, in every Lambda bundle that imports group-config.ts for anything (zod's functions are
 * annotated as free of side effects, but the annotation does not reach esbuild through zod's re-exports).
 */
export function groupConfigFileSchema(): GroupConfigFileSchema {
  fileSchema ??= buildGroupConfigFileSchema();
  return fileSchema;
}
