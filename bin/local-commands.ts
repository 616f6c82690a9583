/**
 * `stepshift local publish|image|hook|traffic|event|dead-letters`: rehearsal commands against a running
 * local mode, through its local routes (local/routes.ts). Each prints what a script needs first — the
 * version number of `publish` alone on its line, so `V=$(npx stepshift local publish payments)` works.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  alarmEntry,
  ecrPushEntry,
  type PutEventsEntry,
  requestEntry,
  s3PutEntry,
} from '../local/aws-events.ts';

/** Adds the flags that say where the API is (`--url`, `--sign`, `--region`). */
export type Client = (command: Command) => Command;

/** Those flags as parsed; `url` absent: `STEPSHIFT_URL`, else local mode's default. */
export interface ClientFlags {
  url?: string;
  sign?: boolean;
  region?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON from our own API, read field by field for printing
type Json = any;

export interface LocalCommandDeps {
  client: Client;
  io: { out: (text: string) => void };
  /** The answer's body; throws for a non-2xx answer. */
  request: (flags: ClientFlags, method: string, path: string, body?: unknown) => Promise<Json>;
  usage: (message: string) => Error;
}

export function addLocalCommands(local: Command, { client, io, request, usage }: LocalCommandDeps): void {
  const number = (flag: string, min: number, max: number) => (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw usage(`${flag} must be a number from ${min} to ${max}, not "${value}"`);
    return n;
  };
  const behaviour = (command: Command) =>
    command
      .option(
        '--error-rate <fraction>',
        'fraction of requests failing, 0–1 (0.3: 30 %)',
        number('--error-rate', 0, 1),
      )
      .option('--latency-ms <ms>', 'typical duration in milliseconds', number('--latency-ms', 1, 900_000));
  const behaviourBody = (opts: { errorRate?: number; latencyMs?: number }) => ({
    ...(opts.errorRate === undefined ? {} : { errorRate: opts.errorRate }),
    ...(opts.latencyMs === undefined ? {} : { latencyMs: opts.latencyMs }),
  });
  const path = (...parts: string[]) => `/${parts.map(encodeURIComponent).join('/')}`;

  client(
    behaviour(
      local.command('publish').description('publish a Lambda version with that behaviour; prints its number'),
    ).argument('<group>', 'a Lambda group'),
  ).action(async (group: string, opts: ClientFlags & { errorRate?: number; latencyMs?: number }) => {
    const out = await request(opts, 'POST', path('local', 'groups', group, 'versions'), behaviourBody(opts));
    io.out(String(out.version));
  });

  client(
    behaviour(local.command('image').description('describe how tasks of an image behave; prints the image'))
      .argument('<group>', 'an ECS group')
      .argument('<image>', 'the image (repository:tag)')
      .option('--fail-to-start', 'tasks of this image never start'),
  ).action(
    async (
      group: string,
      image: string,
      opts: ClientFlags & { errorRate?: number; latencyMs?: number; failToStart?: boolean },
    ) => {
      const out = await request(opts, 'POST', path('local', 'groups', group, 'images'), {
        image,
        ...behaviourBody(opts),
        ...(opts.failToStart ? { failToStart: true } : {}),
      });
      io.out(String(out.image));
    },
  );

  client(
    local
      .command('hook')
      .description(
        'make a hook function succeed, fail, answer InProgress n times, or answer after some seconds',
      )
      .argument('<function>', 'a hook function a group declares')
      .argument('<behaviour>', 'succeed | fail | in-progress:<n> | slow:<seconds>'),
  ).action(async (fn: string, behaviour: string, opts: ClientFlags) => {
    const out = await request(opts, 'PUT', path('local', 'hooks', fn), { behaviour });
    io.out(`${out.functionName}: ${out.behaviour}`);
  });

  client(
    local
      .command('traffic')
      .description("set a group's synthetic traffic")
      .argument('<group>')
      .argument('<rps>', 'requests per virtual second', number('<rps>', 0, 1000)),
  ).action(async (group: string, rps: number, opts: ClientFlags) => {
    const out = await request(opts, 'PUT', path('local', 'groups', group, 'traffic'), { rps });
    io.out(`${out.group}: ${out.rps} requests per virtual second`);
  });

  const event = local
    .command('event')
    .description('put an event on the local bus, in the shape AWS sends it');
  const put = async (flags: ClientFlags, entry: PutEventsEntry) => {
    const out = await request(flags, 'POST', '/events', { Entries: [entry] });
    for (const e of out.Entries as Json[]) {
      if (e.Deliveries.length === 0) io.out(`event ${e.EventId}: matched no rule`);
      for (const d of e.Deliveries as Json[]) {
        const r = d.result ?? {};
        const what = r.outcome
          ? `${r.outcome}${r.deploymentId ? ` ${r.deploymentId}` : ''}${r.reason ? `: ${r.reason}` : ''}`
          : JSON.stringify(r);
        io.out(`event ${e.EventId}: ${d.rule} → ${d.target}: ${what}`);
      }
    }
  };
  client(
    event
      .command('ecr-push')
      .description('aws.ecr / ECR Image Action: a successful push of a tag')
      .argument('<repository>')
      .argument('<tag>')
      .option('--digest <sha256:…>', 'the image digest (default: derived from repository and tag)'),
  ).action(async (repository: string, tag: string, opts: ClientFlags & { digest?: string }) => {
    await put(opts, ecrPushEntry(repository, tag, new Date(), opts.digest));
  });
  client(
    behaviour(
      event
        .command('s3-put')
        .description('aws.s3 / Object Created: with --file, puts the file in the local bucket first')
        .argument('<bucket>')
        .argument('<key>')
        .option('--file <zip>', 'the artifact to put (a zip)'),
    ),
  ).action(
    async (
      bucket: string,
      key: string,
      opts: ClientFlags & { file?: string; errorRate?: number; latencyMs?: number },
    ) => {
      let object = { bucket, key, size: 1, etag: '00000000000000000000000000000000' };
      if (opts.file) {
        let content: Buffer;
        try {
          content = readFileSync(opts.file);
        } catch (e) {
          throw usage(`cannot read --file ${opts.file}: ${e instanceof Error ? e.message : String(e)}`);
        }
        object = await request(opts, 'POST', path('local', 'buckets', bucket, 'objects'), {
          key,
          contentBase64: content.toString('base64'),
          ...behaviourBody(opts),
        });
      }
      await put(opts, s3PutEntry(object));
    },
  );
  client(
    event
      .command('alarm')
      .description('aws.cloudwatch / CloudWatch Alarm State Change')
      .argument('<alarm>')
      .option('--state <state>', 'ALARM, OK or INSUFFICIENT_DATA', 'ALARM'),
  ).action(async (alarm: string, opts: ClientFlags & { state: string }) => {
    if (!['ALARM', 'OK', 'INSUFFICIENT_DATA'].includes(opts.state))
      throw usage(`--state must be ALARM, OK or INSUFFICIENT_DATA, not "${opts.state}"`);
    await put(opts, alarmEntry(alarm, opts.state as 'ALARM'));
  });
  client(
    event
      .command('request')
      .description('stepshift / Deployment Requested, as CI sends it')
      .argument('<group>')
      .argument('<revision>')
      .option('--description <text>'),
  ).action(async (group: string, revision: string, opts: ClientFlags & { description?: string }) => {
    await put(
      opts,
      requestEntry({ group, revision, ...(opts.description ? { description: opts.description } : {}) }),
    );
  });

  client(
    local.command('dead-letters').description('list the events local mode rejected, with the reason'),
  ).action(async (opts: ClientFlags) => {
    const { deadLetters } = await request(opts, 'GET', '/dead-letters');
    for (const d of deadLetters as Json[]) {
      const e = d.event ?? d.requestPayload;
      io.out(
        `${e?.id}  ${e?.source} / ${e?.['detail-type']}  ${d.reason ?? d.responsePayload?.errorMessage}`,
      );
    }
    if (deadLetters.length === 0) io.out('no dead letters');
  });
}
