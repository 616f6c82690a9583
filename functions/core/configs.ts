/**
 * Deployment configs: how traffic moves from the live revision to the new one.
 *
 * The forms are CodeDeploy's — every predefined config under its exact name, and the custom
 * `canary`, `linear` and `allAtOnce` with CodeDeploy's limits — plus `steps`, an explicit list of
 * `(percent, bakeSeconds)` that CodeDeploy cannot express (a 1 % → 5 % → 25 % → 100 % ramp, say).
 */
import * as z from 'zod/mini';
import { ValidationError } from './errors.ts';
import { EXECUTION_TIMEOUT_SECONDS } from './limits.ts';
import { isPauseStep } from './planner.ts';
import { problemsFrom, typeRule } from './problems.ts';

export type ComputePlatform = 'lambda' | 'ecs';

/** CodeDeploy's ceiling, kept for every form: from the first shift to the last, at most 48 hours. */
export const MAX_SHIFT_MINUTES = 2_880;
/** A bound on the steps of a `steps` config: each step costs state transitions and API calls. */
export const MAX_STEPS = 100;

const wholePercent = (min: number, max: number, maxError: string) =>
  z
    .int(typeRule('must be a whole number of percent'))
    .check(z.gte(min, { error: `must be at least ${min} %` }), z.lte(max, { error: maxError }));
const wholeMinutes = z
  .int(typeRule('must be a whole number of minutes'))
  .check(
    z.gte(1, { error: 'must be at least 1 minute' }),
    z.lte(MAX_SHIFT_MINUTES, { error: `must be at most ${MAX_SHIFT_MINUTES} minutes` }),
  );

export const canarySchema = z.strictObject({
  type: z.literal('canary'),
  percent: wholePercent(1, 99, 'must be at most 99 %: a canary leaves traffic on the live revision'),
  intervalMinutes: wholeMinutes,
});

export const linearSchema = z
  .strictObject({
    type: z.literal('linear'),
    percent: wholePercent(1, 99, 'must be at most 99 %: use allAtOnce to shift everything in one step'),
    intervalMinutes: wholeMinutes,
  })
  .check((ctx) => {
    const { percent, intervalMinutes } = ctx.value;
    const minutes = (Math.ceil(100 / percent) - 1) * intervalMinutes;
    if (minutes > MAX_SHIFT_MINUTES) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['intervalMinutes'],
        message: `${percent} % every ${intervalMinutes} minutes takes ${minutes} minutes from the first shift to the last; at most ${MAX_SHIFT_MINUTES} are allowed`,
      });
    }
  });

export const allAtOnceSchema = z.strictObject({ type: z.literal('allAtOnce') });

export const stepSchema = z.strictObject({
  percent: z.number(typeRule('must be a number')).check(
    z.gt(0, { error: 'must be more than 0 %' }),
    z.lte(100, { error: 'must be at most 100 %' }),
    z.refine((p) => Math.abs(p * 10 - Math.round(p * 10)) < 1e-9, {
      error: 'must be a multiple of 0.1 %',
    }),
  ),
  bakeSeconds: z
    .int(typeRule('must be a whole number of seconds'))
    .check(
      z.gte(0, { error: 'must not be negative' }),
      z.lte(MAX_SHIFT_MINUTES * 60, { error: `must be at most ${MAX_SHIFT_MINUTES * 60} seconds` }),
    ),
});

/** What a pause does when its timeout passes with nobody having approved or rejected. */
export const PAUSE_TIMEOUT_OUTCOMES = ['rollback', 'continue'] as const;
export type PauseTimeoutOutcome = (typeof PAUSE_TIMEOUT_OUTCOMES)[number];

/**
 * A pause in a `steps` config: the deployment holds its percent until someone approves (it goes on) or
 * rejects (it rolls back). Without a timeout it waits until acted on — at most the execution's own
 * limit, 7 days, after which the execution ends and the deployment is rolled back.
 *
 * @example {"pause": {"timeoutSeconds": 3600, "onTimeout": "continue"}} → waits an hour, then goes on.
 */
export const pauseStepSchema = z.strictObject({
  pause: z.strictObject({
    timeoutSeconds: z.optional(
      z.int(typeRule('must be a whole number of seconds')).check(
        z.gte(1, { error: 'must be at least 1 second' }),
        z.lte(EXECUTION_TIMEOUT_SECONDS, {
          error: `must be at most ${EXECUTION_TIMEOUT_SECONDS} seconds: a deployment's execution stops after 7 days`,
        }),
      ),
    ),
    onTimeout: z._default(
      z.enum(PAUSE_TIMEOUT_OUTCOMES, { error: `must be one of ${PAUSE_TIMEOUT_OUTCOMES.join(', ')}` }),
      'rollback',
    ),
  }),
});

export type TrafficStepConfig = z.infer<typeof stepSchema>;
export type PauseStepConfig = z.infer<typeof pauseStepSchema>;

export const stepsSchema = z
  .strictObject({
    type: z.literal('steps'),
    steps: z
      .array(z.union([stepSchema, pauseStepSchema]))
      .check(
        z.minLength(1, { error: 'must have at least one step' }),
        z.maxLength(MAX_STEPS, { error: `must have at most ${MAX_STEPS} steps` }),
      ),
  })
  .check((ctx) => {
    // Pauses hold the percent: the rules of the percents and the bakes are about the traffic steps only.
    const traffic = ctx.value.steps.flatMap((step, i) => (isPauseStep(step) ? [] : [{ step, i }]));
    traffic.forEach(({ step, i }, k) => {
      const before = traffic[k - 1]?.step;
      if (before && step.percent <= before.percent) {
        ctx.issues.push({
          code: 'custom',
          input: step,
          path: ['steps', i, 'percent'],
          message: `must be more than the step before (${before.percent} %): steps strictly increase`,
        });
      }
    });
    const lastEntry = ctx.value.steps.at(-1);
    if (lastEntry && isPauseStep(lastEntry)) {
      ctx.issues.push({
        code: 'custom',
        input: lastEntry,
        path: ['steps', ctx.value.steps.length - 1],
        message: 'a pause may not be the last step: put it before the shift it should hold back',
      });
    }
    const last = traffic.at(-1);
    if (!last) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value.steps,
        path: ['steps'],
        message: 'must have at least one traffic step (percent and bakeSeconds), the last at 100 %',
      });
    } else if (last.step.percent !== 100) {
      ctx.issues.push({
        code: 'custom',
        input: last.step,
        path: ['steps', last.i, 'percent'],
        message: `the last step must be 100 %, not ${last.step.percent} %`,
      });
    }
    const bakeBeforeLast = traffic.slice(0, -1).reduce((sum, { step }) => sum + step.bakeSeconds, 0);
    if (bakeBeforeLast > MAX_SHIFT_MINUTES * 60) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value.steps,
        path: ['steps'],
        message: `the bakes before the last step add up to ${bakeBeforeLast} s; at most ${MAX_SHIFT_MINUTES * 60} s are allowed`,
      });
    }
  });

export const customConfigSchema = z.discriminatedUnion('type', [
  canarySchema,
  linearSchema,
  allAtOnceSchema,
  stepsSchema,
]);

export type CanaryConfig = z.infer<typeof canarySchema>;
export type LinearConfig = z.infer<typeof linearSchema>;
export type StepsConfig = z.infer<typeof stepsSchema>;
export type DeploymentConfig = z.infer<typeof customConfigSchema>;

export interface PredefinedConfig {
  /** CodeDeploy's exact name, `CodeDeployDefault.` prefix included. */
  name: string;
  platform: ComputePlatform;
  config: DeploymentConfig;
}

const canary = (percent: number, intervalMinutes: number): DeploymentConfig => ({
  type: 'canary',
  percent,
  intervalMinutes,
});
const linear = (percent: number, intervalMinutes: number): DeploymentConfig => ({
  type: 'linear',
  percent,
  intervalMinutes,
});
const allAtOnce: DeploymentConfig = { type: 'allAtOnce' };

/**
 * Every predefined config of CodeDeploy's Lambda and ECS compute platforms, spelled exactly as
 * CodeDeploy spells it — including `ECSLinear10PercentEvery1Minutes`, plural where Lambda's
 * `LambdaLinear10PercentEvery1Minute` is singular.
 */
/** The prefix of CodeDeploy's predefined names; each may also be given without it. */
const PREFIX = 'CodeDeployDefault.';

export const PREDEFINED_CONFIGS: readonly PredefinedConfig[] = [
  { name: `${PREFIX}LambdaAllAtOnce`, platform: 'lambda', config: allAtOnce },
  { name: `${PREFIX}LambdaCanary10Percent5Minutes`, platform: 'lambda', config: canary(10, 5) },
  { name: `${PREFIX}LambdaCanary10Percent10Minutes`, platform: 'lambda', config: canary(10, 10) },
  { name: `${PREFIX}LambdaCanary10Percent15Minutes`, platform: 'lambda', config: canary(10, 15) },
  { name: `${PREFIX}LambdaCanary10Percent30Minutes`, platform: 'lambda', config: canary(10, 30) },
  { name: `${PREFIX}LambdaLinear10PercentEvery1Minute`, platform: 'lambda', config: linear(10, 1) },
  { name: `${PREFIX}LambdaLinear10PercentEvery2Minutes`, platform: 'lambda', config: linear(10, 2) },
  { name: `${PREFIX}LambdaLinear10PercentEvery3Minutes`, platform: 'lambda', config: linear(10, 3) },
  {
    name: `${PREFIX}LambdaLinear10PercentEvery10Minutes`,
    platform: 'lambda',
    config: linear(10, 10),
  },
  { name: `${PREFIX}ECSAllAtOnce`, platform: 'ecs', config: allAtOnce },
  { name: `${PREFIX}ECSCanary10Percent5Minutes`, platform: 'ecs', config: canary(10, 5) },
  { name: `${PREFIX}ECSCanary10Percent15Minutes`, platform: 'ecs', config: canary(10, 15) },
  { name: `${PREFIX}ECSLinear10PercentEvery1Minutes`, platform: 'ecs', config: linear(10, 1) },
  { name: `${PREFIX}ECSLinear10PercentEvery3Minutes`, platform: 'ecs', config: linear(10, 3) },
];

const byName = new Map<string, PredefinedConfig>();
for (const entry of PREDEFINED_CONFIGS) {
  byName.set(entry.name, entry);
  byName.set(entry.name.slice(PREFIX.length), entry);
}

/** The predefined config of that name (with or without `CodeDeployDefault.`), or undefined. */
export function predefinedConfig(name: string): PredefinedConfig | undefined {
  return byName.get(name);
}

export const predefinedNameSchema = z.enum([...byName.keys()] as [string, ...string[]]);

const CUSTOM_TYPES = 'canary | linear | allAtOnce | steps';

/**
 * What a user may write where a deployment config is expected: a predefined name, or a custom form.
 */
export const deploymentConfigInputSchema = z.union([predefinedNameSchema, customConfigSchema], {
  error: (issue) => {
    const input = issue.input;
    if (typeof input === 'string') {
      return `unknown deployment config "${input}": use a CodeDeploy predefined name (e.g. CodeDeployDefault.LambdaCanary10Percent5Minutes, see \`stepshift plan --list\`) or an object with type ${CUSTOM_TYPES}`;
    }
    if (input && typeof input === 'object' && !Array.isArray(input)) {
      const type = (input as Record<string, unknown>).type;
      return `type must be one of ${CUSTOM_TYPES}, got ${type === undefined ? 'nothing' : JSON.stringify(type)}`;
    }
    return `must be a predefined config name or an object with type ${CUSTOM_TYPES}`;
  },
});

export type DeploymentConfigInput = z.input<typeof deploymentConfigInputSchema>;

/** A config ready to plan, with the name it was given by (for predefined ones). */
export interface ResolvedConfig {
  name: string;
  platform?: ComputePlatform;
  config: DeploymentConfig;
}

/**
 * Resolves what a user wrote into a config. A predefined name must belong to the group's platform
 * when one is given: `CodeDeployDefault.ECSAllAtOnce` on a Lambda group is a mistake, not a synonym.
 */
export function resolveConfig(
  input: unknown,
  platform?: ComputePlatform,
  field = 'deploymentConfig',
): ResolvedConfig {
  const parsed = deploymentConfigInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError('invalid deployment config', problemsFrom(parsed.error, [field]));
  }
  return resolveParsed(parsed.data, platform, field);
}

/** As {@link resolveConfig}, for input the schema has already accepted. */
export function resolveParsed(
  input: z.output<typeof deploymentConfigInputSchema>,
  platform?: ComputePlatform,
  field = 'deploymentConfig',
): ResolvedConfig {
  if (typeof input === 'string') {
    const entry = byName.get(input);
    if (!entry)
      throw new ValidationError('invalid deployment config', [
        { path: field, message: `unknown deployment config "${input}"` },
      ]);
    if (platform && entry.platform !== platform) {
      throw new ValidationError('invalid deployment config', [
        {
          path: field,
          message: `${entry.name} is a config for ${entry.platform} groups, not ${platform} groups`,
        },
      ]);
    }
    return { name: entry.name, platform: entry.platform, config: entry.config };
  }
  return { name: describeConfig(input), config: input };
}

/** A short human name for a custom config: `canary 10% then 5 min`, `linear 25% every 2 min`. */
export function describeConfig(config: DeploymentConfig): string {
  switch (config.type) {
    case 'canary':
      return `canary ${config.percent}% for ${config.intervalMinutes} min`;
    case 'linear':
      return `linear ${config.percent}% every ${config.intervalMinutes} min`;
    case 'allAtOnce':
      return 'all at once';
    case 'steps':
      return `steps ${config.steps.map((s) => (isPauseStep(s) ? 'pause' : `${s.percent}%`)).join(' → ')}`;
  }
}
