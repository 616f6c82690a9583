/**
 * The deployment-group config file (`stepshift.config.json`): which things receive traffic and how
 * to deploy to each. The CDK stack reads the same file, so IAM grants reach exactly what is declared
 * here, and the API deploys only to groups declared here.
 */
import * as z from 'zod/mini';
import type { AnalysisCheck, AnalysisMetric } from './analysis.ts';
import { type deploymentConfigInputSchema, type ResolvedConfig, resolveParsed } from './configs.ts';
import { type Problem, ValidationError } from './errors.ts';
import {
  DEFAULT_HOOK_TIMEOUT_SECONDS,
  groupConfigFileSchema,
  type HookSchema,
  type LambdaGroupSchema,
} from './group-schema.ts';
import {
  type DeploymentGroup,
  type GroupConfig,
  type HookEvent,
  type HookSpec,
  worstCaseOf,
} from './groups.ts';
import { worstCaseProblem } from './limits.ts';
import { problemsFrom } from './problems.ts';

export * from './group-schema.ts';
export * from './groups.ts';

export type LambdaGroupInput = z.input<LambdaGroupSchema>;

/**
 * Validates a parsed config file and resolves it: hooks to `{functionName, timeoutSeconds}`, configs
 * to their plans' input. Reports every problem at once, each with its path.
 *
 * @throws ValidationError listing every problem.
 */
export function parseGroupConfig(raw: unknown, source = 'group config'): GroupConfig {
  const parsed = groupConfigFileSchema().safeParse(raw);
  if (!parsed.success) throw new ValidationError(`${source} is invalid`, problemsFrom(parsed.error));

  const groups: Record<string, DeploymentGroup> = {};
  for (const [name, group] of Object.entries(parsed.data.groups)) {
    const resolve = (input: z.output<typeof deploymentConfigInputSchema>) => resolveParsed(input, group.kind);
    const hooks: Partial<Record<HookEvent, HookSpec[]>> = {};
    for (const [event, specs] of Object.entries(group.hooks) as [HookEvent, z.output<HookSchema>[]][]) {
      hooks[event] = specs.map((h) =>
        typeof h === 'string'
          ? { functionName: h, timeoutSeconds: DEFAULT_HOOK_TIMEOUT_SECONDS }
          : {
              functionName: h.functionName,
              timeoutSeconds: h.timeoutSeconds ?? DEFAULT_HOOK_TIMEOUT_SECONDS,
            },
      );
    }
    const base = {
      name,
      ...(group.description === undefined ? {} : { description: group.description }),
      deploymentConfig: resolve(group.deploymentConfig),
      ...(group.allowedConfigs === undefined ? {} : { allowedConfigs: group.allowedConfigs.map(resolve) }),
      alarms: group.alarms,
      autoRollback: group.autoRollback,
      hooks,
      analysis: group.analysis.map(
        ({ max, relative, metric, ...rest }): AnalysisCheck => ({
          ...rest,
          // The schema let through only the kind's built-in names (or an expression whose `local` is one).
          metric: metric as AnalysisMetric,
          ...(max === undefined ? {} : { max }),
          ...(relative === undefined ? {} : { relative }),
        }),
      ),
      ...(group.approval === undefined ? {} : { approval: group.approval }),
      onBusy: group.onBusy,
      maxQueued: group.maxQueued,
      notifications: group.notifications.map(({ events, sns, webhook }) => ({
        events,
        ...(sns === undefined ? {} : { sns }),
        ...(webhook === undefined ? {} : { webhook }),
      })),
    };
    groups[name] =
      group.kind === 'lambda'
        ? { ...base, kind: 'lambda', target: group.target, triggers: group.triggers }
        : { ...base, kind: 'ecs', target: group.target, triggers: group.triggers };
  }
  const problems = [...sharedTargets(groups), ...Object.values(groups).flatMap(unfinishable)];
  if (problems.length > 0) throw new ValidationError(`${source} is invalid`, problems);
  return { groups };
}

/** What each kind routes traffic through: no two groups may share one (their rollbacks would undo each other). */
const ROUTES: {
  [K in DeploymentGroup['kind']]: (g: Extract<DeploymentGroup, { kind: K }>) => [string, string][];
} = {
  lambda: (g) => [['alias', `alias ${functionNameOf(g.target.functionName)}:${g.target.alias}`]],
  ecs: (g) =>
    (['listener', 'listenerRule', 'testListener'] as const).flatMap((field): [string, string][] => {
      const arn = g.target[field];
      return arn ? [[field, `listener ${arn}`]] : [];
    }),
};

/** `arn:aws:lambda:…:function:orders` and `orders` name one function. */
const functionNameOf = (name: string) => name.split(':function:').pop()?.split(':')[0] ?? name;

function sharedTargets(groups: Record<string, DeploymentGroup>): Problem[] {
  const seen = new Map<string, string>();
  const problems: Problem[] = [];
  for (const group of Object.values(groups)) {
    const routes = (ROUTES[group.kind] as (g: DeploymentGroup) => [string, string][])(group);
    for (const [field, route] of routes) {
      const other = seen.get(route);
      if (other !== undefined && other !== group.name) {
        problems.push({
          path: `groups.${group.name}.target.${field}`,
          message: `group ${other} already routes through ${route}: two groups on one ${route.split(' ')[0]} would overwrite each other's routing and rollbacks`,
        });
      }
      seen.set(route, other ?? group.name);
    }
  }
  return problems;
}

/** A config the workflow could not finish in time or within its history, named by its field. */
function unfinishable(group: DeploymentGroup): Problem[] {
  const configs: [string, ResolvedConfig][] = [
    ['deploymentConfig', group.deploymentConfig],
    ...(group.allowedConfigs ?? []).map((c, i): [string, ResolvedConfig] => [`allowedConfigs[${i}]`, c]),
  ];
  return configs.flatMap(([field, config]) => {
    const problem = worstCaseProblem(worstCaseOf(group, config));
    return problem ? [{ path: `groups.${group.name}.${field}`, message: `${config.name} ${problem}` }] : [];
  });
}

/**
 * Parses the text of a config file: JSON syntax errors are reported with their line and column.
 */
export function parseGroupConfigText(text: string, source = 'group config'): GroupConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new ValidationError(`${source} is not valid JSON`, [
      { path: '', message: withLineColumn(text, message) },
    ]);
  }
  const duplicates = duplicateKeys(text);
  if (duplicates.length > 0) throw new ValidationError(`${source} is invalid`, duplicates);
  return parseGroupConfig(raw, source);
}

/**
 * JSON.parse keeps the last of two equal keys without a word: two groups of one name would be merged
 * silently. Every key given twice in one object is reported, with both lines.
 *
 * `text` is JSON that JSON.parse has read, so a scan of its strings and brackets is enough (no
 * parser is bundled for it): each open object keeps its keys with the line each was first given on,
 * each open array its current index, which together are the path of a key. Lines are counted as
 * JSON breaks them: LF, CR LF or CR.
 */
function duplicateKeys(text: string): Problem[] {
  const problems: Problem[] = [];
  /** One per open object (`keys`) or array; `at` is its current key or index, `key` whether a key is next. */
  const open: { keys?: Map<string, number>; at: string | number; key: boolean }[] = [];
  let line = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = open[open.length - 1];
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
    else if (c === '{') open.push({ keys: new Map(), at: '', key: true });
    else if (c === '[') open.push({ at: 0, key: false });
    else if (c === '}' || c === ']') open.pop();
    else if (c === ',' && top) {
      if (top.keys) top.key = true;
      else top.at = Number(top.at) + 1;
    } else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.keys && top.key) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const first = top.keys.get(key);
        if (first !== undefined) {
          problems.push({
            path: [...open.slice(0, -1).map((o) => o.at), key].map(String).join('.'),
            message: `is given twice (lines ${first + 1} and ${line + 1}): JSON would keep only the last`,
          });
        }
        top.keys.set(key, first ?? line);
        top.at = key;
        top.key = false;
      }
      i = end;
    }
  }
  return problems;
}

function withLineColumn(text: string, message: string): string {
  const match = /position (\d+)/.exec(message);
  if (!match?.[1]) return message;
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}

/** The JSON Schema of the config file, for editors (`"$schema": "./stepshift.schema.json"`). */
export function groupConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(groupConfigFileSchema(), { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
