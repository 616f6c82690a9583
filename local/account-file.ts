/**
 * The optional local account file (`stepshift.local.json`): what the simulated account holds beyond what
 * the group config declares — revisions with behaviour, hook behaviours, alarm definitions, traffic
 * rates. The group config says *what exists*; this file says *how it behaves* in a rehearsal. Everything
 * here can also be set on a running local mode (`stepshift local publish|image|hook|traffic`).
 *
 * Validated like the group config: unknown keys refused, every problem reported at once with its path
 * (`groups.payments.versions[0].errorRate`), and names checked against the group config.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { type Problem, ValidationError } from '../functions/core/errors.ts';
import type { GroupConfig } from '../functions/core/group-config.ts';
import { problemsFrom } from '../functions/core/problems.ts';
import { behaviourSchema, hookBehaviourSchema, imageBehaviourSchema, rpsSchema } from './behaviour.ts';

/** A whole number from `min` to `max`. */
const whole = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));
const names = z.array(z.string().check(z.minLength(1))).check(z.minLength(1));

const metricAlarmSchema = z.strictObject({
  /** ErrorRate: the fraction of requests failing; LatencyAverage: their mean duration in ms. */
  metric: z.enum(['ErrorRate', 'LatencyAverage'], { error: 'must be ErrorRate or LatencyAverage' }),
  /** ALARM above this: a fraction for ErrorRate, milliseconds for LatencyAverage. */
  threshold: z.number().check(z.gte(0)),
  periodSeconds: z._default(whole(10, 86_400), 30),
  evaluationPeriods: z._default(whole(1, 100), 1),
});

const compositeAlarmSchema = z
  .strictObject({
    /** ALARM while any of these alarms is in ALARM (CloudWatch's `ALARM(a) OR ALARM(b)`). */
    anyOf: z.optional(names),
    /** ALARM while every one of these is in ALARM (`ALARM(a) AND ALARM(b)`). */
    allOf: z.optional(names),
  })
  .check(
    z.refine((c) => (c.anyOf === undefined) !== (c.allOf === undefined), {
      error: 'give exactly one of anyOf or allOf',
    }),
  );

const groupSchema = z.strictObject({
  /** Synthetic requests per virtual second through the alias (Lambda) or the listener (ECS). Default 40. */
  rps: z.optional(rpsSchema),
  /** How version 1 (Lambda) or the first image (ECS) behaves. Default healthy. */
  live: z.optional(imageBehaviourSchema),
  /** Lambda: versions published at the first start, as 2, 3, … in this order. */
  versions: z.optional(z.array(behaviourSchema).check(z.maxLength(100))),
  /** ECS: the image the blue service runs at first. Default `<group>:initial`. */
  liveImage: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  /** ECS: the blue service's task count at first. Default 3. */
  desiredCount: z.optional(whole(1, 100)),
  /** ECS: images with behaviour, by image (`shop/web:release-2`). */
  images: z.optional(z.record(z.string().check(z.minLength(1)), imageBehaviourSchema)),
});

export const localAccountFileSchema = z.strictObject({
  $schema: z.optional(z.string()),
  /** By group name, as in the group config. */
  groups: z._default(z.record(z.string(), groupSchema), {}),
  /** By hook function name: succeed, fail, in-progress:<n> or slow:<seconds>. Undeclared hooks succeed. */
  hooks: z._default(z.record(z.string(), hookBehaviourSchema), {}),
  /**
   * By alarm name. A group's alarm not declared here is an ErrorRate alarm above 2 % over 30 s on the
   * group's traffic.
   */
  alarms: z._default(z.record(z.string(), z.union([metricAlarmSchema, compositeAlarmSchema])), {}),
});

export type LocalAccountFile = z.output<typeof localAccountFileSchema>;
export type MetricAlarmSpec = z.output<typeof metricAlarmSchema>;
export type CompositeAlarmSpec = z.output<typeof compositeAlarmSchema>;

/** The file's default name, looked for next to the group config. */
export const DEFAULT_LOCAL_ACCOUNT_FILE = 'stepshift.local.json';

/**
 * Validates a parsed account file against its schema and the group config.
 *
 * @throws ValidationError listing every problem with its path.
 */
export function parseLocalAccountFile(
  raw: unknown,
  groups: GroupConfig,
  source = 'local account file',
): LocalAccountFile {
  const parsed = localAccountFileSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(`${source} is invalid`, problemsFrom(parsed.error));
  const file = parsed.data;
  const problems: Problem[] = [];
  const declared = Object.keys(groups.groups).join(', ');
  for (const [name, g] of Object.entries(file.groups)) {
    const group = Object.hasOwn(groups.groups, name) ? groups.groups[name] : undefined;
    if (!group) {
      problems.push({
        path: `groups.${name}`,
        message: `no group named "${name}" in the config; declared: ${declared}`,
      });
      continue;
    }
    const only = (field: keyof typeof g, kind: 'lambda' | 'ecs') => {
      if (g[field] !== undefined && group.kind !== kind)
        problems.push({
          path: `groups.${name}.${field}`,
          message: `is for ${kind} groups; ${name} is of kind ${group.kind}`,
        });
    };
    only('versions', 'lambda');
    only('liveImage', 'ecs');
    only('desiredCount', 'ecs');
    only('images', 'ecs');
  }
  const hookNames = new Set(
    Object.values(groups.groups).flatMap((g) =>
      Object.values(g.hooks).flatMap((specs) => specs.map((h) => h.functionName)),
    ),
  );
  for (const name of Object.keys(file.hooks)) {
    if (!hookNames.has(name))
      problems.push({ path: `hooks.${name}`, message: `no group declares a hook function named "${name}"` });
  }
  const alarmNames = new Set([
    ...Object.values(groups.groups).flatMap((g) => g.alarms),
    ...Object.keys(file.alarms),
  ]);
  for (const [name, alarm] of Object.entries(file.alarms)) {
    if (!('metric' in alarm)) {
      const rule = alarm.anyOf ? 'anyOf' : 'allOf';
      (alarm.anyOf ?? alarm.allOf ?? []).forEach((child, i) => {
        if (!alarmNames.has(child) || child === name)
          problems.push({
            path: `alarms.${name}.${rule}[${i}]`,
            message: `"${child}" is not another alarm of a group or of this file`,
          });
      });
    }
  }
  if (problems.length > 0) throw new ValidationError(`${source} is invalid`, problems);
  return file;
}

/** Reads and validates an account file; JSON syntax errors and a missing file name the file. */
export function loadLocalAccountFile(path: string, groups: GroupConfig): LocalAccountFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValidationError(`${path} cannot be read`, [
      { path: '', message: code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e) },
    ]);
  }
  return parseLocalAccountFile(raw, groups, path);
}

/** The JSON Schema of the account file, for editors (`"$schema": "./stepshift.local.schema.json"`). */
export function localAccountJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(localAccountFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
