/**
 * The `stepshift` command line. Exit codes: 0 ok; 1 a command that ran and failed (a deployment that
 * did not succeed, an API that could not be reached or answered 5xx); 2 a usage or validation error,
 * including an API's 4xx answer. Errors are one line on stderr, `stepshift: <message>`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { conditionOf } from '../functions/api/views.ts';
import { type AnalysisCheck, metricName, type RunPoint, withAnalysis } from '../functions/core/analysis.ts';
import { PREDEFINED_CONFIGS, type ResolvedConfig, resolveConfig } from '../functions/core/configs.ts';
import { formatDuration } from '../functions/core/duration.ts';
import { StepShiftError, ValidationError } from '../functions/core/errors.ts';
import {
  type DeploymentGroup,
  groupConfigJsonSchema,
  parseGroupConfigText,
} from '../functions/core/group-config.ts';
import { ON_BUSY } from '../functions/core/groups.ts';
import { approvalOf, offsets, plan, type Schedule } from '../functions/core/planner.ts';
import { DEFAULT_LOCAL_ACCOUNT_FILE, loadLocalAccountFile } from '../local/account-file.ts';
import pkg from '../package.json' with { type: 'json' };
import { type ApiClient, ApiError, call, createApiClient, isLoopback } from './api-client.ts';
import { addLocalCommands, type Client, type ClientFlags } from './local-commands.ts';
import { addReleaseCommands } from './release-commands.ts';
import { RELEASE, type ReleaseWatchBody } from './release-watch.ts';
import { renderSchedule, scheduleJson } from './render.ts';
import { follow, followView, renderWatch, type Terminal, type WatchBody } from './watch.ts';

export { ApiError } from './api-client.ts';

export const DEFAULT_CONFIG_FILE = 'stepshift.config.json';
const DEFAULT_PORT = 4477;
const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

// biome-ignore lint/suspicious/noExplicitAny: JSON from our own API, read field by field for printing
type Json = any;

/** An error the CLI reports as a usage problem (exit 2). */
export class UsageError extends StepShiftError {
  override name = 'UsageError';
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where `--watch` draws; without it, one line per change through `out`. */
  terminal?: Terminal;
}

const consoleIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  terminal: {
    write: (t) => process.stdout.write(t),
    get isTTY() {
      return process.stdout.isTTY === true && process.env.TERM !== 'dumb';
    },
    get columns() {
      return process.stdout.columns;
    },
  },
};

/**
 * `stepshift list | head -1`: the reader is gone, so the next write fails with EPIPE. That is the end
 * the user asked for, not an error: exit at once, quietly, rather than die on an unhandled 'error'
 * event with a stack trace.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw e;
    });
  }
}

/** Reads a config argument: a predefined name, or JSON for a custom form. */
export function parseConfigArgument(arg: string): unknown {
  const text = arg.trim();
  if (!text.startsWith('{')) return text;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function loadGroupConfigFile(file: string) {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `no config file at ${path}` : `cannot read ${path}: ${String(e)}`,
    );
  }
  return parseGroupConfigText(text, file);
}

export function buildProgram(io: Io = consoleIo): Command {
  const program = new Command('stepshift')
    .description('Canary, linear and all-at-once deployments for Lambda aliases and ECS services.')
    .version(pkg.version, '-V, --version', 'print the version of stepshift')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (t) => io.out(t.trimEnd()),
      writeErr: (t) => io.err(t.trimEnd()),
      // commander's `error: unknown command 'x'` in the CLI's own form
      outputError: (t, write) => write(t.replace(/^error: /, 'stepshift: ')),
    });

  program
    .command('plan')
    .description(
      "print the traffic schedule of a deployment config; with --group, the group's, and where its analyses run",
    )
    .argument(
      '[config]',
      'a predefined name (CodeDeployDefault.… or without the prefix) or JSON of a custom form',
    )
    .option('--json', 'print the schedule as JSON')
    .option('--list', 'list every predefined config')
    .option(
      '--group <name>',
      "plan this group's deployment config (or [config], for its platform), with its analysis checks",
    )
    .option('--config <file>', `the group config file, with --group (default: ${DEFAULT_CONFIG_FILE})`)
    .action(
      (
        arg: string | undefined,
        opts: { json?: boolean; list?: boolean; group?: string; config?: string },
      ) => {
        if (opts.group === undefined && opts.config !== undefined)
          throw new UsageError('--config is the group config file of --group: give --group too');
        if (opts.group !== undefined) {
          if (opts.list) throw new UsageError('give --list or --group, not both');
          const file = opts.config ?? DEFAULT_CONFIG_FILE;
          const group = groupNamed(loadGroupConfigFile(file).groups, opts.group, file);
          const resolved =
            arg === undefined
              ? group.deploymentConfig
              : resolveConfig(parseConfigArgument(arg), group.kind, 'config');
          const schedule = withAnalysis(plan(resolved.config, approvalOf(group)), group.analysis);
          io.out(
            opts.json
              ? JSON.stringify(analysisPlanJson(group, resolved, schedule), null, 2)
              : renderAnalysisPlan(group, resolved, schedule),
          );
          return;
        }
        if (opts.list) {
          const rows = PREDEFINED_CONFIGS.map((c) => ({ ...c, schedule: plan(c.config) }));
          if (opts.json)
            io.out(
              JSON.stringify(
                rows.map((r) => scheduleJson(r, r.schedule)),
                null,
                2,
              ),
            );
          else
            for (const r of rows)
              io.out(`${r.name.padEnd(56)} ${r.platform.padEnd(7)} ${r.schedule.steps.length} steps`);
          return;
        }
        if (arg === undefined) throw new UsageError('give a config name or JSON, or --list, or --group');
        const resolved = resolveConfig(parseConfigArgument(arg), undefined, 'config');
        const schedule = plan(resolved.config);
        io.out(
          opts.json
            ? JSON.stringify(scheduleJson(resolved, schedule), null, 2)
            : renderSchedule(resolved, schedule),
        );
      },
    );

  program
    .command('validate')
    .description('check a deployment-group config file and report every problem')
    .argument('[file]', 'the config file', DEFAULT_CONFIG_FILE)
    .action((file: string) => {
      const config = loadGroupConfigFile(file);
      const groups = Object.values(config.groups);
      io.out(`${file}: ${groups.length} group${groups.length === 1 ? '' : 's'} valid`);
      for (const g of groups) io.out(`  ${g.name.padEnd(24)} ${g.kind.padEnd(7)} ${g.deploymentConfig.name}`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of the config file')
    .action(() => io.out(JSON.stringify(groupConfigJsonSchema(), null, 2)));

  const local = program
    .command('local')
    .description(
      'run local mode: the groups of the config, a simulated account, the API on loopback, and the demo; or rehearse against it (publish, image, hook, traffic, event)',
    )
    .option('--config <file>', 'the group config file', DEFAULT_CONFIG_FILE)
    .option(
      '--account <file>',
      `how the simulated account behaves (default: ${DEFAULT_LOCAL_ACCOUNT_FILE} next to the config, if there)`,
    )
    .option('--speed <n>', 'virtual seconds per real second', '30')
    .option('--data <dir>', 'where local state is kept', '.stepshift')
    .option('--port <n>', 'API port on 127.0.0.1', String(DEFAULT_PORT))
    .option('--no-demo', 'start without running the demo deployments')
    .option('--exit-after-demo', 'stop after the demo instead of serving the API')
    .action(
      async (opts: {
        config: string;
        account?: string;
        speed: string;
        data: string;
        port: string;
        demo: boolean;
        exitAfterDemo?: boolean;
      }) => {
        const speed = Number(opts.speed);
        if (!(speed > 0 && speed <= 100_000))
          throw new UsageError('--speed must be a number from 0 (exclusive) to 100000');
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535)
          throw new UsageError('--port must be a port number');
        const { runLocal } = await import('../local/demo.ts');
        const groups = loadGroupConfigFile(opts.config);
        const accountPath = opts.account ?? join(dirname(resolve(opts.config)), DEFAULT_LOCAL_ACCOUNT_FILE);
        const accountFile =
          opts.account !== undefined || existsSync(accountPath)
            ? loadLocalAccountFile(accountPath, groups)
            : undefined;
        await runLocal({
          groups,
          ...(accountFile ? { accountFile } : {}),
          speed,
          dataDir: resolve(opts.data),
          port,
          demo: opts.demo,
          exitAfterDemo: opts.exitAfterDemo === true,
          print: io.out,
        });
      },
    );

  const client: Client = (command: Command) =>
    command
      .option(
        '--url <url>',
        `the stepshift API: local mode, or the stack's API URL (default: $STEPSHIFT_URL, else ${DEFAULT_URL})`,
      )
      .option('--sign', "sign with SigV4 although the URL is not API Gateway's own (a custom domain)")
      .option('--region <region>', 'the region to sign for (default: from the URL, else $AWS_REGION)');

  // One client per URL and signing choice: a watch reuses its credentials and connections.
  const clients = new Map<string, ApiClient>();
  const clientFor = (flags: ClientFlags, flag = '--url'): ApiClient => {
    const url = flags.url ?? process.env.STEPSHIFT_URL ?? DEFAULT_URL;
    const key = JSON.stringify([url, flags.sign === true, flags.region]);
    let c = clients.get(key);
    if (!c) {
      try {
        c = createApiClient(url, {
          sign: flags.sign === true ? true : 'auto',
          ...(flags.region ? { region: flags.region } : {}),
        });
      } catch (e) {
        throw new UsageError(`${flag}: ${e instanceof Error ? e.message : String(e)}`);
      }
      clients.set(key, c);
    }
    return c;
  };
  const request = (flags: ClientFlags, method: string, path: string, body?: unknown, key?: string) =>
    call(clientFor(flags), method, path, {
      ...(body === undefined ? {} : { body }),
      ...(key ? { headers: { 'idempotency-key': key } } : {}),
    }) as Promise<Json>;

  /** Follows a deployment until it ends; its outcome becomes the exit code. */
  const watch = async (flags: WatchFlags, id: string, json: boolean) => {
    const api = clientFor(flags);
    const code = await follow({
      read: () => call(api, 'GET', `/deployments/${encodeURIComponent(id)}`) as Promise<WatchBody>,
      intervalMs: intervalOf(flags, api),
      out: io.terminal ?? { write: (t) => io.out(t.replace(/\n$/, '')), isTTY: false },
      warn: (line) => io.err(`stepshift: ${line}`),
      json,
    });
    if (code !== 0) throw new DeploymentDidNotSucceed();
  };
  const watching = (command: Command) =>
    command.option(
      '--interval <seconds>',
      'how often to read it (default: 1 locally, 2 for an AWS URL)',
      number('--interval', 0.1, 3600),
    );

  addLocalCommands(local, { client, io, request, usage: (message) => new UsageError(message) });

  /** Follows a release until it ends; its outcome becomes the exit code. */
  const followRelease = async (flags: WatchFlags, id: string, json: boolean) => {
    const api = clientFor(flags);
    const code = await followView(RELEASE, {
      read: () => call(api, 'GET', `/releases/${encodeURIComponent(id)}`) as Promise<ReleaseWatchBody>,
      intervalMs: intervalOf(flags, api),
      out: io.terminal ?? { write: (t) => io.out(t.replace(/\n$/, '')), isTTY: false },
      warn: (line) => io.err(`stepshift: ${line}`),
      json,
    });
    if (code !== 0) throw new DeploymentDidNotSucceed();
  };

  watching(
    client(
      program
        .command('deploy')
        .description('start a deployment; with --wait, follow it and exit by its outcome')
        .argument('<group>', 'the deployment group')
        .argument('<revision>', 'the revision (a published Lambda version)')
        .option('--config <config>', 'a deployment config the group allows (name or JSON)')
        .option('--idempotency-key <key>', 'makes a retry return the same deployment')
        .option(
          '--ignore-alarm <name>',
          'do not watch this alarm while it is in ALARM (deploying the fix); repeat for several',
          (name: string, all: string[]) => [...all, name],
          [] as string[],
        )
        .option(
          '--on-busy <mode>',
          "when the group is busy: reject (409), queue (start when it is free) or supersede (stop the running one, start this); default: the group's onBusy",
          onBusyMode,
        )
        .option('--wait', 'follow it as status --watch does: exit 0 on SUCCEEDED, 1 otherwise'),
    ),
  ).action(
    async (
      group: string,
      revision: string,
      opts: WatchFlags & {
        config?: string;
        idempotencyKey?: string;
        ignoreAlarm: string[];
        onBusy?: string;
        wait?: boolean;
      },
    ) => {
      const body = {
        group,
        revision,
        ...(opts.config ? { config: parseConfigArgument(opts.config) } : {}),
        ...(opts.ignoreAlarm.length > 0 ? { ignoreAlarms: opts.ignoreAlarm } : {}),
        ...(opts.onBusy ? { onBusy: opts.onBusy } : {}),
      };
      const d = await request(opts, 'POST', '/deployments', body, opts.idempotencyKey);
      io.out(
        `${d.id}: ${d.status}${d.queuePosition ? ` (place ${d.queuePosition} in the queue)` : ''} — version ${d.revision} to ${d.group} with ${d.configName}`,
      );
      if (opts.wait) await watch(opts, d.id, false);
    },
  );

  watching(
    client(
      program
        .command('status')
        .description('show a deployment: its progress, hooks, alarms and timeline')
        .argument('<id>')
        .option(
          '--watch',
          'redraw it live until it ends; exit 0 on SUCCEEDED, 1 on ROLLED_BACK/FAILED/STOPPED/CANCELLED',
        )
        .option('--json', "print the API's answer as it is (with --watch: one line per change)"),
    ),
  ).action(async (id: string, opts: WatchFlags & { watch?: boolean; json?: boolean }) => {
    if (opts.watch) return watch(opts, id, opts.json === true);
    const body = await request(opts, 'GET', `/deployments/${encodeURIComponent(id)}`);
    if (opts.json) return io.out(JSON.stringify(body, null, 2));
    const { deployment: d, timeline } = body;
    io.out(
      `${d.id}  ${d.group}  version ${d.revision}  ${d.status}  ${d.percent} %${d.reason ? `  — ${d.reason}` : ''}`,
    );
    const now = body.now ? Date.parse(body.now) : Date.now();
    for (const line of renderWatch(body, now).slice(1)) io.out(line);
    if (timeline.length > 0) io.out('  timeline');
    for (const e of timeline as { at: string; kind: string; message: string }[]) {
      io.out(`  ${e.at}  ${e.kind.padEnd(8)} ${e.message}`);
    }
  });

  client(
    program
      .command('list')
      .description('list recent deployments')
      .option('--group <group>')
      .option('--json', 'print the deployments as a JSON array'),
  ).action(async (opts: ClientFlags & { group?: string; json?: boolean }) => {
    const query = opts.group ? `?group=${encodeURIComponent(opts.group)}` : '';
    const { deployments } = await request(opts, 'GET', `/deployments${query}`);
    if (opts.json) return io.out(JSON.stringify(deployments, null, 2));
    for (const d of deployments) {
      io.out(
        `${d.id}  ${String(d.group).padEnd(16)} v${String(d.revision).padEnd(5)} ${String(d.status).padEnd(12)} ${d.status === 'QUEUED' ? `#${d.queuePosition ?? '?'} in queue` : `${d.percent} %`}`,
      );
    }
    if (deployments.length === 0) io.out('no deployments yet');
  });

  client(
    program
      .command('stop')
      .description('stop a deployment (rolls back unless --no-rollback)')
      .argument('<id>')
      .option('--no-rollback', 'leave the routing as it is, recorded'),
  ).action(async (id: string, opts: ClientFlags & { rollback: boolean }) => {
    const { deployment: d } = await request(opts, 'POST', `/deployments/${encodeURIComponent(id)}/stop`, {
      rollback: opts.rollback,
    });
    io.out(
      d.status === 'CANCELLED'
        ? `${d.id}: CANCELLED (it was queued)`
        : `${d.id}: stop requested (${opts.rollback ? 'with' : 'without'} rollback)`,
    );
  });

  client(
    program
      .command('cancel')
      .description('cancel a queued deployment: it ends CANCELLED and never starts')
      .argument('<id>')
      .option('--reason <text>', 'why, recorded on its timeline'),
  ).action(async (id: string, opts: ClientFlags & { reason?: string }) => {
    const { deployment: d } = await request(
      opts,
      'POST',
      `/deployments/${encodeURIComponent(id)}/cancel`,
      opts.reason ? { reason: opts.reason } : {},
    );
    io.out(`${d.id}: ${d.status}`);
  });

  for (const [name, text] of [
    ['promote', 'skip the remaining bakes of a deployment'],
    ['rollback', 'roll back a stopped or failed deployment that left a split'],
  ] as const) {
    client(program.command(name).description(text).argument('<id>')).action(
      async (id: string, opts: ClientFlags) => {
        const { deployment: d } = await request(
          opts,
          'POST',
          `/deployments/${encodeURIComponent(id)}/${name}`,
        );
        io.out(`${d.id}: ${d.status}`);
      },
    );
  }

  client(
    program
      .command('resume')
      .description('carry a deployment stopped without rollback on from the step it was stopped at')
      .argument('<id>'),
  ).action(async (id: string, opts: ClientFlags) => {
    const { deployment: d } = await request(opts, 'POST', `/deployments/${encodeURIComponent(id)}/resume`);
    io.out(`${d.id}: resuming at ${d.percent} % (execution ${d.executionName})`);
  });

  const ignoreAlarm = (command: Command) =>
    command.option(
      '--ignore-alarm <name>',
      'do not watch this alarm while it is in ALARM (deploying the fix); repeat for several',
      (name: string, all: string[]) => [...all, name],
      [] as string[],
    );
  /** retry and redeploy: a new deployment of a revision deployed before, then as deploy. */
  for (const [name, text, what, path] of [
    [
      'retry',
      'deploy the revision of a FAILED or ROLLED_BACK deployment again, with the same config',
      '<id>',
      (id: string) => `/deployments/${encodeURIComponent(id)}/retry`,
    ],
    [
      'redeploy',
      "deploy a group's previous good revision again (the last SUCCEEDED before the current one)",
      '<group>',
      (group: string) => `/groups/${encodeURIComponent(group)}/redeploy`,
    ],
  ] as const) {
    watching(
      ignoreAlarm(
        client(
          program
            .command(name)
            .description(text)
            .argument(what)
            .option('--wait', 'follow it as status --watch does: exit 0 on SUCCEEDED, 1 otherwise'),
        ),
      ),
    ).action(async (arg: string, opts: WatchFlags & { ignoreAlarm: string[]; wait?: boolean }) => {
      const body = opts.ignoreAlarm.length > 0 ? { ignoreAlarms: opts.ignoreAlarm } : {};
      const d = await request(opts, 'POST', path(arg), body);
      const of = d.retryOf ? `retry of ${d.retryOf}` : `redeploy of ${d.redeployOf}`;
      io.out(`${d.id}: ${d.status} — ${of}: version ${d.revision} to ${d.group} with ${d.configName}`);
      if (opts.wait) await watch(opts, d.id, false);
    });
  }

  client(
    program
      .command('approve')
      .description('approve the pause a deployment waits at: it goes on')
      .argument('<id>'),
  ).action(async (id: string, opts: ClientFlags) => {
    const { deployment: d } = await request(opts, 'POST', `/deployments/${encodeURIComponent(id)}/approve`);
    io.out(`${d.id}: approved at ${d.percent} %`);
  });

  client(
    program
      .command('reject')
      .description('reject the pause a deployment waits at: it rolls back')
      .argument('<id>')
      .requiredOption('--reason <text>', 'why (recorded; at most 1024 characters)'),
  ).action(async (id: string, opts: ClientFlags & { reason: string }) => {
    const { deployment: d } = await request(opts, 'POST', `/deployments/${encodeURIComponent(id)}/reject`, {
      reason: opts.reason,
    });
    io.out(`${d.id}: rejected at ${d.percent} %: rolling back`);
  });

  addReleaseCommands(program, {
    client,
    watching,
    io,
    request,
    follow: followRelease,
    usage: (message) => new UsageError(message),
  });

  program
    .command('console')
    .description(
      "the operator console on this machine, in front of the stack's API: every call signed with your AWS credentials",
    )
    .requiredOption('--api <url>', "the stack's API URL, with its stage (the stack output)")
    // Beside local mode's 4477, so both can run at once.
    .option('--port <n>', 'port on 127.0.0.1', String(DEFAULT_CONSOLE_PORT))
    .option('--sign', "sign with SigV4 although the URL is not API Gateway's own (a custom domain)")
    .option('--region <region>', 'the region to sign for (default: from the URL, else $AWS_REGION)')
    .action(async (opts: { api: string; port: string; sign?: boolean; region?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535)
        throw new UsageError('--port must be a port number');
      const upstream = clientFor({ ...opts, url: opts.api }, '--api');
      const { serveConsoleProxy } = await import('./console-proxy.ts');
      const served = await serveConsoleProxy(upstream, port);
      io.out(
        `stepshift console on ${served.url} for ${opts.api}${upstream.signingRegion ? ` (signed for ${upstream.signingRegion})` : ''} — Ctrl-C to stop`,
      );
    });

  program.addHelpText(
    'after',
    `
Where the API is (deploy, status, list, stop, cancel, promote, approve, reject, rollback, resume, retry, redeploy,
release, releases, release-status, release-stop, local …):
  --url <url>         local mode (default ${DEFAULT_URL}) or the stack's API URL with its stage,
                      e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/v1/
  STEPSHIFT_URL       the same, from the environment (--url wins)
  An API Gateway URL (*.execute-api.<region>.amazonaws.com[.cn]) is signed with SigV4 (service
  execute-api) with your AWS credentials from the default chain (AWS_PROFILE, SSO, environment, …);
  for a custom domain in front of it, add --sign and --region (or AWS_REGION). Loopback is never signed.

Exit codes: 0 ok; 1 a failure (status --watch, deploy --wait: the deployment did not succeed;
release-status --watch, release --wait: the release did not succeed);
2 a usage or validation error, or the API refused the request (4xx).`,
  );

  return program;
}

/** The group of that name in the file, or a usage error naming the declared ones. */
function groupNamed(groups: Record<string, DeploymentGroup>, name: string, file: string): DeploymentGroup {
  const group = Object.hasOwn(groups, name) ? groups[name] : undefined;
  if (!group)
    throw new UsageError(`no group named "${name}" in ${file}; declared: ${Object.keys(groups).join(', ')}`);
  return group;
}

/** The analysis runs of one step of a planned deployment (offsets from the first shift, in seconds). */
export interface PlannedAnalysis {
  step: number;
  percent: number;
  atSeconds: number;
  bakeSeconds: number;
  /** Runs during the bake: each check every `everySeconds` from the shift, before the bake's end. */
  interval: {
    check: string;
    everySeconds: number;
    runs: number;
    firstSeconds: number;
    lastSeconds: number;
  }[];
  /** The run of every check when the bake is over: before the next shift, or the final one at 100 %. */
  end: { point: Exclude<RunPoint, 'interval'>; atSeconds: number };
}

/**
 * Where a group's checks run over `schedule` (already `withAnalysis`): every interval during each bake,
 * at each bake's end, and at the last step's end the final run, before AfterAllowTraffic. As planned:
 * a bake's end that is not Successful extends the bake by an interval and runs again.
 *
 * @example canary 10 % 5 min, errors every 60 s → step 1: errors ×4 (T+1m … T+4m), bake's end at T+5m;
 *   step 2 (100 %, bake 1m): none during, final at T+6m
 */
export function plannedAnalysis(schedule: Schedule, checks: readonly AnalysisCheck[]): PlannedAnalysis[] {
  if (checks.length === 0) return [];
  const at = offsets(schedule);
  return schedule.steps.map((s, i) => {
    const start = at[i] ?? 0;
    const interval = checks.flatMap((c) => {
      const runs = s.bakeSeconds > 0 ? Math.ceil(s.bakeSeconds / c.intervalSeconds) - 1 : 0;
      return runs > 0
        ? [
            {
              check: c.name,
              everySeconds: c.intervalSeconds,
              runs,
              firstSeconds: start + c.intervalSeconds,
              lastSeconds: start + runs * c.intervalSeconds,
            },
          ]
        : [];
    });
    const last = i === schedule.steps.length - 1;
    return {
      step: i + 1,
      percent: s.percent,
      atSeconds: start,
      bakeSeconds: s.bakeSeconds,
      interval,
      end: { point: last ? 'final' : 'bake', atSeconds: start + s.bakeSeconds },
    };
  });
}

const checkJson = (c: AnalysisCheck) => ({
  check: c.name,
  metric: c.metric,
  condition: conditionOf(c),
  minSamples: c.minSamples,
  intervalSeconds: c.intervalSeconds,
  limits: { failure: c.failureLimit, inconclusive: c.inconclusiveLimit, error: c.errorLimit },
  onInconclusive: c.onInconclusive,
  onError: c.onError,
});

function analysisPlanJson(group: DeploymentGroup, resolved: ResolvedConfig, schedule: Schedule) {
  return {
    group: group.name,
    ...scheduleJson(resolved, schedule),
    analysis: { checks: group.analysis.map(checkJson), runs: plannedAnalysis(schedule, group.analysis) },
  };
}

/** The schedule, then each check with its condition, then where the checks run, step by step. */
function renderAnalysisPlan(group: DeploymentGroup, resolved: ResolvedConfig, schedule: Schedule): string {
  const lines = [`group ${group.name}`, renderSchedule(resolved, schedule), ''];
  const checks = group.analysis;
  if (checks.length === 0) {
    lines.push(`${group.name} has no analysis checks: its alarms alone judge the revision.`);
    return lines.join('\n');
  }
  const t = (seconds: number) => `T+${formatDuration(seconds)}`;
  const width = (values: string[]) => Math.max(0, ...values.map((v) => v.length));
  const names = checks.map((c) => c.name);
  const metrics = checks.map((c) => metricName(c.metric));
  const conditions = checks.map(conditionOf);
  lines.push(`Analysis: ${checks.length} check${checks.length === 1 ? '' : 's'}`);
  checks.forEach((c, i) => {
    const allowed = `allowed: ${c.failureLimit} failed, ${c.inconclusiveLimit} inconclusive (then ${c.onInconclusive}), ${c.errorLimit} unreadable (then ${c.onError})`;
    lines.push(
      `  ${(names[i] ?? '').padEnd(width(names))}  ${(metrics[i] ?? '').padEnd(width(metrics))}  ${(conditions[i] ?? '').padEnd(width(conditions))}  every ${formatDuration(c.intervalSeconds)}, ≥ ${c.minSamples} samples; ${allowed}`,
    );
  });
  lines.push('', 'Where they run:');
  const steps = plannedAnalysis(schedule, checks);
  const when = (a: number, b: number) => (a === b ? t(a) : `${t(a)} … ${t(b)}`);
  const column = width(
    steps.flatMap((s) => [
      t(s.end.atSeconds),
      ...(s.interval.length > 0
        ? [
            when(
              Math.min(...s.interval.map((r) => r.firstSeconds)),
              Math.max(...s.interval.map((r) => r.lastSeconds)),
            ),
          ]
        : []),
    ]),
  );
  for (const [i, s] of steps.entries()) {
    lines.push(`  step ${s.step} at ${s.percent} %`);
    if (s.interval.length > 0) {
      const span = when(
        Math.min(...s.interval.map((r) => r.firstSeconds)),
        Math.max(...s.interval.map((r) => r.lastSeconds)),
      );
      const each = s.interval.map(
        (r) => `${r.check} every ${formatDuration(r.everySeconds)} (${r.runs} run${r.runs === 1 ? '' : 's'})`,
      );
      lines.push(`    ${span.padEnd(column)}  during the bake: ${each.join(', ')}`);
    }
    const next = steps[i + 1];
    const end =
      s.end.point === 'final'
        ? `once at ${s.percent} %, before AfterAllowTraffic: every check, the baseline over the ${formatDuration(s.bakeSeconds)} before the first shift`
        : `${s.bakeSeconds > 0 ? "at the bake's end" : 'after the shift (no bake)'}, before the shift to ${next?.percent ?? 100} %: every check`;
    lines.push(`    ${t(s.end.atSeconds).padEnd(column)}  ${end}`);
  }
  const planned = plan(resolved.config).steps.at(-1)?.bakeSeconds ?? 0;
  const final = schedule.steps.at(-1)?.bakeSeconds ?? 0;
  lines.push('');
  if (final > planned)
    lines.push(
      `The last step bakes ${formatDuration(final)} (the longest interval) so that the final run measures the revision on all traffic.`,
    );
  lines.push(
    "A Failed run past its limit rolls back at once. At a bake's end, any other verdict than Successful extends the bake by an interval and runs again, until its limit.",
  );
  return lines.join('\n');
}

/** Flags of the commands that follow a deployment. */
type WatchFlags = ClientFlags & { interval?: number };

/** A watched deployment or release ended other than SUCCEEDED: exit 1, its status already shown. */
class DeploymentDidNotSucceed extends Error {}

/** Every second locally; every 2 s against AWS, where each read costs a Lambda invocation. */
function intervalOf(flags: WatchFlags, api: ApiClient): number {
  if (flags.interval !== undefined) return flags.interval * 1000;
  return isLoopback(new URL(api.url).hostname) ? 1000 : 2000;
}

/** `--on-busy`'s value, checked here so that a typo is a usage error, not a 400. */
function onBusyMode(value: string): string {
  if (!(ON_BUSY as readonly string[]).includes(value))
    throw new UsageError(`--on-busy must be one of ${ON_BUSY.join(', ')}`);
  return value;
}

function number(flag: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !(n >= min && n <= max))
      throw new UsageError(`${flag} must be a number from ${min} to ${max}, not "${value}"`);
    return n;
  };
}

/** The exit code of an error: 2 when the request was wrong (usage, validation, a 4xx answer), else 1. */
export function exitCodeOfError(e: unknown): 1 | 2 {
  if (e instanceof ValidationError || e instanceof UsageError) return 2;
  if (e instanceof ApiError && e.status >= 400 && e.status < 500) return 2;
  return 1;
}

/** Runs the CLI and returns the exit code. */
/** `stepshift console`'s port: next to local mode's. */
export const DEFAULT_CONSOLE_PORT = 4478;

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0
        ? 0
        : 2;
    }
    if (e instanceof DeploymentDidNotSucceed) return 1;
    io.err(`stepshift: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.STEPSHIFT_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return exitCodeOfError(e);
  }
}
