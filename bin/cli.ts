/**
 * The `stepshift` command line. Exit codes: 0 ok, 1 a command that ran and failed, 2 usage or
 * validation error, with the message on stderr.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { PREDEFINED_CONFIGS, resolveConfig } from '../functions/core/configs.ts';
import { StepShiftError, ValidationError } from '../functions/core/errors.ts';
import { groupConfigJsonSchema, parseGroupConfigText } from '../functions/core/group-config.ts';
import { plan } from '../functions/core/planner.ts';
import { DEFAULT_LOCAL_ACCOUNT_FILE, loadLocalAccountFile } from '../local/account-file.ts';
import { addLocalCommands, type Client } from './local-commands.ts';
import { renderSchedule, scheduleJson } from './render.ts';

export const DEFAULT_CONFIG_FILE = 'stepshift.config.json';
const DEFAULT_PORT = 4477;

/** An error answered by the API: printed as it came, exit 1. */
export class ApiError extends StepShiftError {
  override name = 'ApiError';
}

// biome-ignore lint/suspicious/noExplicitAny: JSON from our own API, read field by field for printing
type Json = any;

export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  key?: string,
): Promise<Json> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(`cannot reach stepshift at ${base}: is \`npm start\` running?`);
  }
  const json = (await res.json().catch(() => ({}))) as Json;
  if (!res.ok) {
    throw new ApiError(`${res.status} ${json?.error ?? ''}: ${json?.message ?? res.statusText}`);
  }
  return json;
}

/** An error the CLI reports as a usage problem (exit 2). */
export class UsageError extends StepShiftError {
  override name = 'UsageError';
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const consoleIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

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
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) });

  program
    .command('plan')
    .description('print the traffic schedule of a deployment config')
    .argument(
      '[config]',
      'a predefined name (CodeDeployDefault.… or without the prefix) or JSON of a custom form',
    )
    .option('--json', 'print the schedule as JSON')
    .option('--list', 'list every predefined config')
    .action((arg: string | undefined, opts: { json?: boolean; list?: boolean }) => {
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
      if (arg === undefined) throw new UsageError('give a config name or JSON, or --list');
      const resolved = resolveConfig(parseConfigArgument(arg), undefined, 'config');
      const schedule = plan(resolved.config);
      io.out(
        opts.json
          ? JSON.stringify(scheduleJson(resolved, schedule), null, 2)
          : renderSchedule(resolved, schedule),
      );
    });

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
    command.option(
      '--url <url>',
      'the stepshift API',
      process.env.STEPSHIFT_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`,
    );

  addLocalCommands(local, { client, io, request, usage: (message) => new UsageError(message) });

  client(
    program
      .command('deploy')
      .description('start a deployment')
      .argument('<group>', 'the deployment group')
      .argument('<revision>', 'the revision (a published Lambda version)')
      .option('--config <config>', 'a deployment config the group allows (name or JSON)')
      .option('--idempotency-key <key>', 'makes a retry return the same deployment')
      .option(
        '--ignore-alarm <name>',
        'do not watch this alarm while it is in ALARM (deploying the fix); repeat for several',
        (name: string, all: string[]) => [...all, name],
        [] as string[],
      ),
  ).action(
    async (
      group: string,
      revision: string,
      opts: { url: string; config?: string; idempotencyKey?: string; ignoreAlarm: string[] },
    ) => {
      const body = {
        group,
        revision,
        ...(opts.config ? { config: parseConfigArgument(opts.config) } : {}),
        ...(opts.ignoreAlarm.length > 0 ? { ignoreAlarms: opts.ignoreAlarm } : {}),
      };
      const d = await request(opts.url, 'POST', '/deployments', body, opts.idempotencyKey);
      io.out(`${d.id}: ${d.status} — version ${d.revision} to ${d.group} with ${d.configName}`);
    },
  );

  client(program.command('status').description('show a deployment and its timeline').argument('<id>')).action(
    async (id: string, opts: { url: string }) => {
      const { deployment: d, timeline } = await request(
        opts.url,
        'GET',
        `/deployments/${encodeURIComponent(id)}`,
      );
      io.out(
        `${d.id}  ${d.group}  version ${d.revision}  ${d.status}  ${d.percent} %${d.reason ? `  — ${d.reason}` : ''}`,
      );
      for (const e of timeline as { at: string; kind: string; message: string }[]) {
        io.out(`  ${e.at}  ${e.kind.padEnd(6)} ${e.message}`);
      }
    },
  );

  client(program.command('list').description('list recent deployments').option('--group <group>')).action(
    async (opts: { url: string; group?: string }) => {
      const query = opts.group ? `?group=${encodeURIComponent(opts.group)}` : '';
      const { deployments } = await request(opts.url, 'GET', `/deployments${query}`);
      for (const d of deployments) {
        io.out(
          `${d.id}  ${String(d.group).padEnd(16)} v${String(d.revision).padEnd(5)} ${String(d.status).padEnd(12)} ${d.percent} %`,
        );
      }
      if (deployments.length === 0) io.out('no deployments yet');
    },
  );

  client(
    program
      .command('stop')
      .description('stop a deployment (rolls back unless --no-rollback)')
      .argument('<id>')
      .option('--no-rollback', 'leave the routing as it is, recorded'),
  ).action(async (id: string, opts: { url: string; rollback: boolean }) => {
    const { deployment: d } = await request(opts.url, 'POST', `/deployments/${encodeURIComponent(id)}/stop`, {
      rollback: opts.rollback,
    });
    io.out(`${d.id}: stop requested (${opts.rollback ? 'with' : 'without'} rollback)`);
  });

  for (const [name, text] of [
    ['promote', 'skip the remaining bakes of a deployment'],
    ['rollback', 'roll back a stopped or failed deployment that left a split'],
  ] as const) {
    client(program.command(name).description(text).argument('<id>')).action(
      async (id: string, opts: { url: string }) => {
        const { deployment: d } = await request(
          opts.url,
          'POST',
          `/deployments/${encodeURIComponent(id)}/${name}`,
        );
        io.out(`${d.id}: ${d.status}`);
      },
    );
  }

  return program;
}

/** Runs the CLI and returns the exit code. */
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
    if (e instanceof ValidationError || e instanceof UsageError) {
      io.err(e.message);
      return 2;
    }
    io.err(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    return 1;
  }
}
