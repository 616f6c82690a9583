/**
 * The `stepshift` command line. Exit codes: 0 ok, 1 a command that ran and failed, 2 usage or
 * validation error, with the message on stderr.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { PREDEFINED_CONFIGS, resolveConfig } from '../functions/core/configs.ts';
import { StepShiftError, ValidationError } from '../functions/core/errors.ts';
import { groupConfigJsonSchema, parseGroupConfigText } from '../functions/core/group-config.ts';
import { plan } from '../functions/core/planner.ts';
import { renderSchedule, scheduleJson } from './render.ts';

export const DEFAULT_CONFIG_FILE = 'stepshift.config.json';

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

  program
    .command('demo')
    .description('plan every group of the example config (the local-mode demo arrives with local mode)')
    .argument('[file]', 'the config file', DEFAULT_CONFIG_FILE)
    .action((file: string) => {
      const config = loadGroupConfigFile(file);
      for (const group of Object.values(config.groups)) {
        io.out(`\n── ${group.name} (${group.kind}) ──`);
        io.out(renderSchedule(group.deploymentConfig, plan(group.deploymentConfig.config)));
      }
    });

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
