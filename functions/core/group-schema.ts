/**
 * The schema of the group config file, field by field: what each field may hold, and the error a
 * wrong value gets (each names the rule). Strict objects, so a typo is an error, not ignored. zod/mini,
 * whose functions the Lambda bundles tree-shake (classic zod's methods cannot be): `z.optional(s)` for
 * `s.optional()`, `s.check(z.maxLength(n))` for `s.max(n)`, with the same issues and messages.
 * The checks that span fields or groups, and the resolution, are in group-config.ts.
 */
import * as z from 'zod/mini';
import { type ComputePlatform, deploymentConfigInputSchema, predefinedConfig } from './configs.ts';
import { typeRule } from './problems.ts';

export const LAMBDA_HOOK_EVENTS = ['BeforeAllowTraffic', 'AfterAllowTraffic'] as const;
export const ECS_HOOK_EVENTS = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;
export type LambdaHookEvent = (typeof LAMBDA_HOOK_EVENTS)[number];
export type EcsHookEvent = (typeof ECS_HOOK_EVENTS)[number];
export type HookEvent = EcsHookEvent;

/** CodeDeploy's names for what triggers an automatic rollback. */
export const ROLLBACK_EVENTS = [
  'DEPLOYMENT_FAILURE',
  'DEPLOYMENT_STOP_ON_ALARM',
  'DEPLOYMENT_STOP_ON_REQUEST',
] as const;
export type RollbackEvent = (typeof ROLLBACK_EVENTS)[number];

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

const functionName = z.string(typeRule('must be a string')).check(
  z.regex(FUNCTION_NAME, {
    error: 'must be a Lambda function name (1–64 of A–Z a–z 0–9 - _) or a function ARN',
  }),
);

export const hookSchema = z.union(
  [
    functionName,
    z.strictObject({
      functionName,
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
    events.map((e) => [e, z.optional(z.array(hookSchema, typeRule('must be a list of hook functions')))]),
  ) as { [K in E[number]]: z.ZodMiniOptional<z.ZodMiniArray<typeof hookSchema>> };
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

const alarmsSchema = z
  .array(
    matching(ALARM_NAME, 'must be a CloudWatch alarm name (1–255 characters)'),
    typeRule('must be a list of CloudWatch alarm names'),
  )
  .check(
    z.maxLength(MAX_ALARMS, { error: `must list at most ${MAX_ALARMS} alarms` }),
    z.refine((names) => new Set(names).size === names.length, { error: 'must not list an alarm twice' }),
  );

const autoRollbackSchema = z.strictObject({
  enabled: z._default(z.boolean(typeRule('must be true or false')), true),
  events: z._default(
    z.array(z.enum(ROLLBACK_EVENTS, { error: `must be one of ${ROLLBACK_EVENTS.join(', ')}` })),
    [...ROLLBACK_EVENTS],
  ),
});

const s3Trigger = z.strictObject({
  type: z.literal('s3ObjectCreated'),
  bucket: matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
  keyPrefix: z.optional(z.string().check(z.maxLength(1024))),
});
const ecrTrigger = z.strictObject({
  type: z.literal('ecrPush'),
  repository: matching(/^[a-z0-9][a-z0-9._/-]{1,255}$/, 'must be an ECR repository name'),
  /** Tags to react to; a trailing `*` matches a prefix. Absent: every tag. */
  tags: z.optional(z.array(text(1, 128)).check(z.minLength(1))),
});
const requestedTrigger = z.strictObject({ type: z.literal('deploymentRequested') });

function triggerError(aGroup: string, types: string) {
  return {
    error: (issue: { code?: string }) =>
      issue.code === 'invalid_union' ? `type must be one of ${types} for ${aGroup} group` : undefined,
  };
}

const lambdaTriggersSchema = z.array(
  z.discriminatedUnion(
    'type',
    [s3Trigger, requestedTrigger],
    triggerError('a lambda', 's3ObjectCreated, deploymentRequested'),
  ),
);
const ecsTriggersSchema = z.array(
  z.discriminatedUnion(
    'type',
    [ecrTrigger, requestedTrigger],
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

function common(kind: ComputePlatform) {
  return {
    description: z.optional(z.string().check(z.maxLength(512))),
    deploymentConfig: configFor(kind),
    /** The configs a deployment request may choose instead of the default. Absent: any of the platform's. */
    allowedConfigs: z.optional(z.array(configFor(kind))),
    alarms: z._default(alarmsSchema, []),
    autoRollback: z._default(autoRollbackSchema, { enabled: true, events: [...ROLLBACK_EVENTS] }),
  };
}

export const lambdaGroupSchema = z.strictObject({
  kind: z.literal('lambda'),
  ...common('lambda'),
  target: z.strictObject({
    functionName,
    alias: matching(ALIAS_NAME, 'must be an alias name (not only digits)'),
  }),
  hooks: z._default(hooksSchema(LAMBDA_HOOK_EVENTS, 'lambda'), {}),
  triggers: z._default(lambdaTriggersSchema, []),
});

export const ecsGroupSchema = z.strictObject({
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
          message: 'must differ from listener: test traffic on the production listener is production traffic',
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
  triggers: z._default(ecsTriggersSchema, []),
});

export const groupSchema = z.discriminatedUnion('kind', [lambdaGroupSchema, ecsGroupSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? 'must be "lambda" or "ecs"' : undefined),
});

export const groupConfigFileSchema = z.strictObject({
  $schema: z.optional(z.string()),
  groups: z
    .record(
      matching(GROUP_NAME, 'group names are 1–64 of A–Z a–z 0–9 - _, starting with a letter or digit'),
      groupSchema,
    )
    .check(
      z.refine((groups) => Object.keys(groups).length > 0, { error: 'must declare at least one group' }),
    ),
});
