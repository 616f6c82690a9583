/**
 * The release commands: several groups deployed as one, all or nothing, in waves (`POST /releases`).
 *
 *   stepshift release FILE | --name N --member g=rev[@config]… [--wave a,b …] [--wait] [--json]
 *   stepshift releases [--limit N] [--json]
 *   stepshift release-status ID [--watch] [--json]
 *   stepshift release-stop ID [--no-rollback] [--reason TEXT]
 *
 * Named as the deployment commands are (`deploy`, `list`, `status`, `stop`), with `release` in front,
 * so that `release-status` reads beside `status` and no release id is mistaken for a file name.
 */
import type { Command } from 'commander';
import type { ReleaseView } from '../functions/api/views.ts';
import type { Problem } from '../functions/core/errors.ts';
import { ApiError } from './api-client.ts';
import type { Client, ClientFlags } from './local-commands.ts';
import {
  problemLines,
  type ReleaseBody,
  type ReleaseSource,
  readReleaseFile,
  releaseFromFlags,
} from './release-request.ts';
import { type ReleaseWatchBody, renderRelease, wavesOf } from './release-watch.ts';

export interface ReleaseCommandDeps {
  client: Client;
  /** Adds `--interval`, as on the commands that follow a deployment. */
  watching: (command: Command) => Command;
  io: { out: (text: string) => void };
  /** The answer's body; throws ApiError for a non-2xx answer. */
  request: <T>(flags: ClientFlags, method: string, path: string, body?: unknown, key?: string) => Promise<T>;
  /** Follows the release until it ends; throws when it ended other than SUCCEEDED (exit 1). */
  follow: (flags: ClientFlags & { interval?: number }, id: string, json: boolean) => Promise<void>;
  usage: (message: string) => Error;
}

type FollowFlags = ClientFlags & { interval?: number };

const path = (id: string, ...rest: string[]) =>
  `/releases/${encodeURIComponent(id)}${rest.map((r) => `/${r}`).join('')}`;

/**
 * The API refused the request: its problems again, each with its path and, for flags, the flag. The
 * message is the API's first line (`invalid release request: 2 problems`, `release refused: …`).
 */
function withProblems(e: unknown, source: ReleaseSource): unknown {
  if (!(e instanceof ApiError) || typeof e.body !== 'object' || e.body === null) return e;
  const body = e.body as { message?: unknown; details?: { problems?: unknown } };
  const problems = body.details?.problems;
  if (!Array.isArray(problems) || problems.length === 0 || typeof body.message !== 'string') return e;
  const first = body.message.split('\n')[0] ?? body.message;
  const lines = problemLines(problems as Problem[], source);
  return new ApiError(e.status, { ...body, message: [first, ...lines].join('\n') });
}

/** What `release` says it started: the release, then each wave's members with their deployment ids. */
export function startedLines(r: ReleaseView): string[] {
  const lines = [
    `${r.id}: ${r.status} — release ${r.name}: ${r.members.length} member${r.members.length === 1 ? '' : 's'} in ${r.waveCount} wave${r.waveCount === 1 ? '' : 's'}`,
  ];
  const group = Math.max(0, ...r.members.map((m) => m.group.length));
  const revision = Math.max(0, ...r.members.map((m) => m.revision.length));
  wavesOf(r).forEach((members, w) => {
    members.forEach((m, i) => {
      lines.push(
        `  ${(i === 0 ? `wave ${w + 1}` : '').padEnd(7)} ${m.group.padEnd(group)}  ${m.revision.padEnd(revision)}  ${m.deploymentId}`,
      );
    });
  });
  return lines;
}

export function addReleaseCommands(program: Command, deps: ReleaseCommandDeps): void {
  const { client, watching, io, request, follow, usage } = deps;
  // No default: commander would print `(default: [])` in the help.
  const collect = (value: string, all: string[] | undefined) => [...(all ?? []), value];

  watching(
    client(
      program
        .command('release')
        .description(
          'deploy several groups as one, all or nothing, in waves: from a file (JSON or YAML) or from flags; with --wait, follow it',
        )
        .argument('[file]', 'the request as JSON (.json) or YAML (.yaml, .yml; - reads standard input)')
        .option('--name <name>', 'the release, as people will know it')
        .option('--description <text>', 'more about it, recorded')
        .option(
          '--member <group=revision[@config]>',
          'a group and its revision, and a deployment config the group allows (name or JSON); repeat for each group',
          collect,
        )
        .option(
          '--wave <groups>',
          'the groups of one wave, by commas, in order (--wave api,worker --wave web); without it, all at once',
          collect,
        )
        .option('--idempotency-key <key>', 'makes a retry return the same release')
        .option('--wait', 'follow it as release-status --watch does: exit 0 on SUCCEEDED, 1 otherwise')
        .option('--json', "print the API's answer as it is (with --wait: one line per change)"),
    ),
  ).action(
    async (
      file: string | undefined,
      opts: FollowFlags & {
        name?: string;
        description?: string;
        member?: string[];
        wave?: string[];
        idempotencyKey?: string;
        wait?: boolean;
        json?: boolean;
      },
    ) => {
      const flags = { ...opts, member: opts.member ?? [], wave: opts.wave ?? [] };
      let body: ReleaseBody;
      let source: ReleaseSource;
      if (file !== undefined) {
        const given = [
          ...(opts.name !== undefined ? ['--name'] : []),
          ...(opts.description !== undefined ? ['--description'] : []),
          ...(flags.member.length > 0 ? ['--member'] : []),
          ...(flags.wave.length > 0 ? ['--wave'] : []),
        ];
        if (given.length > 0)
          throw usage(`give a release file or ${given.join(', ')}, not both: the file has the whole request`);
        body = await readReleaseFile(file, usage);
        source = { kind: 'file', file };
      } else {
        body = releaseFromFlags(flags, usage);
        source = { kind: 'flags', members: flags.member, waves: flags.wave };
      }
      let release: ReleaseView;
      try {
        release = await request<ReleaseView>(opts, 'POST', '/releases', body, opts.idempotencyKey);
      } catch (e) {
        throw withProblems(e, source);
      }
      if (opts.json && !opts.wait) return io.out(JSON.stringify(release, null, 2));
      if (!opts.json) for (const line of startedLines(release)) io.out(line);
      if (opts.wait) await follow(opts, release.id, opts.json === true);
    },
  );

  client(
    program
      .command('releases')
      .description('list recent releases, newest first')
      .option('--limit <n>', 'at most this many (1–100; default 50)', (value: string) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > 100)
          throw usage(`--limit must be a whole number from 1 to 100, not "${value}"`);
        return n;
      })
      .option('--json', 'print the releases as a JSON array'),
  ).action(async (opts: ClientFlags & { limit?: number; json?: boolean }) => {
    const query = opts.limit !== undefined ? `?limit=${opts.limit}` : '';
    const { releases } = await request<{ releases: ReleaseView[] }>(opts, 'GET', `/releases${query}`);
    if (opts.json) return io.out(JSON.stringify(releases, null, 2));
    if (releases.length === 0) return io.out('no releases yet');
    const name = Math.min(32, Math.max(0, ...releases.map((r) => r.name.length)));
    for (const r of releases) {
      const wave = r.wave < 0 ? 'not started' : `wave ${Math.min(r.wave + 1, r.waveCount)}/${r.waveCount}`;
      const members = r.members.map((m) => `${m.group} ${m.revision}`).join(', ');
      io.out(
        `${r.id}  ${r.name.slice(0, 32).padEnd(name)}  ${r.status.padEnd(12)} ${wave.padEnd(11)} ${members}`,
      );
    }
  });

  watching(
    client(
      program
        .command('release-status')
        .description('show a release: each wave and member side by side, its commit point, its timeline')
        .argument('<id>')
        .option(
          '--watch',
          'redraw it live until it ends; exit 0 on SUCCEEDED, 1 on ROLLED_BACK/FAILED/STOPPED',
        )
        .option('--json', "print the API's answer as it is (with --watch: one line per change)"),
    ),
  ).action(async (id: string, opts: FollowFlags & { watch?: boolean; json?: boolean }) => {
    if (opts.watch) return follow(opts, id, opts.json === true);
    const body = await request<ReleaseWatchBody>(opts, 'GET', path(id));
    if (opts.json) return io.out(JSON.stringify(body, null, 2));
    for (const line of renderRelease(body)) io.out(line);
    const timeline = body.timeline ?? [];
    if (timeline.length > 0) io.out('  timeline');
    for (const e of timeline) io.out(`  ${e.at}  ${e.kind.padEnd(8)} ${e.message}`);
  });

  client(
    program
      .command('release-stop')
      .description(
        'stop a release: every member still running stops, rolled back unless --no-rollback; the waves not started never start',
      )
      .argument('<id>')
      .option('--no-rollback', 'leave each member’s routing as it is, recorded')
      .option('--reason <text>', 'why, recorded on its timeline (at most 512 characters)'),
  ).action(async (id: string, opts: ClientFlags & { rollback: boolean; reason?: string }) => {
    const { release: r } = await request<{ release: ReleaseView }>(opts, 'POST', path(id, 'stop'), {
      rollback: opts.rollback,
      ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    });
    io.out(`${r.id}: stop requested (${opts.rollback ? 'with' : 'without'} rollback)`);
  });
}
