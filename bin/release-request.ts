/**
 * The body of `POST /releases` as `stepshift release` builds it: from a file (JSON or YAML), or from
 * flags (`--name`, `--member group=revision[@config]`, `--wave a,b`). Only the shape of the input is
 * checked here, each mistake naming its flag or its file; the rules of a release (groups declared, a
 * wave naming a member, …) are the API's, which answers every problem with its path.
 *
 * @example --name shop --member api=7 --member web=shop/web:v2@ECSAllAtOnce --wave api --wave web
 *   → {name: 'shop', members: [{group: 'api', revision: '7'},
 *      {group: 'web', revision: 'shop/web:v2', config: 'ECSAllAtOnce'}], order: {waves: [['api'], ['web']]}}
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Problem } from '../functions/core/errors.ts';

/** A mistake in the command line or the file: the CLI's usage error (exit 2). */
export type Usage = (message: string) => Error;

export interface ReleaseFlags {
  name?: string;
  description?: string;
  member: string[];
  wave: string[];
}

export interface ReleaseMemberInput {
  group: string;
  revision: string;
  config?: unknown;
}

export interface ReleaseBody {
  name?: unknown;
  description?: unknown;
  members?: unknown;
  order?: unknown;
  [key: string]: unknown;
}

/** Where the request came from, so that the API's problems can say which flag or file they concern. */
export type ReleaseSource =
  | { kind: 'file'; file: string }
  | { kind: 'flags'; members: readonly string[]; waves: readonly string[] };

/**
 * One `--member`: `group=revision`, or `group=revision@config` with a deployment config the group
 * allows — a predefined name (`LambdaAllAtOnce`, `CodeDeployDefault.…`) or JSON of a custom form. An
 * image digest's `@sha256:…` stays in the revision: what follows the last `@` is a config only when it
 * reads as a config name or as JSON.
 *
 * @example parseMember('web=acme/web@sha256:ab12') → {group: 'web', revision: 'acme/web@sha256:ab12'}
 * @example parseMember('api=7@{"type":"canary","percent":5,"intervalMinutes":10}')
 *          → {group: 'api', revision: '7', config: {type: 'canary', percent: 5, intervalMinutes: 10}}
 */
export function parseMember(value: string, usage: Usage): ReleaseMemberInput {
  const shape = `--member "${value}": give group=revision, or group=revision@config`;
  const eq = value.indexOf('=');
  if (eq < 0) throw usage(`${shape} (no "=")`);
  const group = value.slice(0, eq).trim();
  if (group === '') throw usage(`${shape} (no group before "=")`);
  const rest = value.slice(eq + 1).trim();
  const json = rest.indexOf('@{');
  const at = json >= 0 ? json : rest.lastIndexOf('@');
  const tail = at >= 0 ? rest.slice(at + 1).trim() : '';
  const isConfig = at >= 0 && (tail.startsWith('{') || /^[A-Za-z][A-Za-z0-9.]*$/.test(tail));
  const revision = (isConfig ? rest.slice(0, at) : rest).trim();
  if (revision === '') throw usage(`${shape} (no revision after "${group}=")`);
  if (!isConfig) return { group, revision };
  if (!tail.startsWith('{')) return { group, revision, config: tail };
  try {
    return { group, revision, config: JSON.parse(tail) as unknown };
  } catch (e) {
    throw usage(
      `--member "${value}": its config is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * One `--wave`: the groups deployed side by side in it, by commas.
 *
 * @example parseWave('api, worker') → ['api', 'worker']
 */
export function parseWave(value: string, usage: Usage): string[] {
  const groups = value.split(',').map((g) => g.trim());
  if (groups.some((g) => g === ''))
    throw usage(`--wave "${value}": give the groups of one wave by commas, e.g. --wave api,worker`);
  return groups;
}

/** The request from the flags; the flags missing or malformed are named. */
export function releaseFromFlags(flags: ReleaseFlags, usage: Usage): ReleaseBody {
  if (flags.member.length === 0)
    throw usage('give a release file, or --name and one --member group=revision per group');
  if (flags.name === undefined || flags.name.trim() === '')
    throw usage('--name is required with --member: the release is known by it');
  const members = flags.member.map((m) => parseMember(m, usage));
  const waves = flags.wave.map((w) => parseWave(w, usage));
  return {
    name: flags.name,
    ...(flags.description !== undefined ? { description: flags.description } : {}),
    members,
    ...(waves.length > 0 ? { order: { waves } } : {}),
  };
}

/**
 * Reads a release request: a file ending in `.json` as JSON, any other (`.yaml`, `.yml`, or `-` for
 * standard input) as YAML, which reads JSON too. The document must be a mapping, the body of
 * `POST /releases`.
 */
export async function readReleaseFile(file: string, usage: Usage): Promise<ReleaseBody> {
  const path = file === '-' ? '-' : resolve(file);
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usage(
      code === 'ENOENT'
        ? `no release file at ${path}`
        : code === 'EISDIR'
          ? `${path} is a folder, not a release file`
          : `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const where = file === '-' ? 'standard input' : file;
  const body =
    extname(file).toLowerCase() === '.json'
      ? parseJson(text, where, usage)
      : await parseYaml(text, where, usage);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw usage(
      `${where}: must be a mapping with name, members and order (the body of POST /releases), not ${
        Array.isArray(body) ? 'a list' : body === null || body === undefined ? 'empty' : typeof body
      }`,
    );
  }
  return body as ReleaseBody;
}

function parseJson(text: string, where: string, usage: Usage): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw usage(`${where} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The fields that are always strings: a plain YAML scalar there is read as written (`revision: 007` is "007"). */
const STRING_KEYS = new Set(['name', 'description', 'group', 'revision']);

/**
 * YAML, with two rules of our own. A revision is a string: `revision: 7` would be the number 7 and
 * `revision: 1.10` the number 1.1, so the fields that are always strings keep the text as written.
 * A duplicate key or any other error is reported with its line and column, the first one only (YAML's
 * later errors mostly follow from it).
 */
async function parseYaml(text: string, where: string, usage: Usage): Promise<unknown> {
  // Loaded only for a YAML file: every other command starts without it.
  const { isScalar, parseDocument, visit } = await import('yaml');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const at = first.linePos?.[0];
    const message = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? first.message;
    throw usage(`${where}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${message}`);
  }
  visit(doc, {
    Pair(_, pair) {
      const { key, value } = pair;
      if (!isScalar(key) || !isScalar(value) || typeof key.value !== 'string') return;
      if (!STRING_KEYS.has(key.value) || typeof value.value === 'string' || value.value === null) return;
      if (value.type === 'PLAIN' && value.source !== undefined) value.value = value.source;
    },
  });
  return doc.toJS();
}

/**
 * The API's problems, each with its path — and, for a request built from flags, the flag it came from,
 * since `members[1]` means little to someone who typed `--member web=v2`.
 *
 * @example {path: 'members[1].revision', …} from flags ['api=7', 'web=v2']
 *          → '  members[1].revision (--member web=v2): …'
 */
export function problemLines(problems: readonly Problem[], source: ReleaseSource): string[] {
  return problems.map(
    (p) => `  ${p.path || '(root)'}${source.kind === 'flags' ? flagOf(p.path, source) : ''}: ${p.message}`,
  );
}

/** ` (--member web=v2)` for `members[1]…`, ` (--wave api,web)` for `order.waves[0]…`, ` (--wave)` for `order`. */
function flagOf(path: string, source: Extract<ReleaseSource, { kind: 'flags' }>): string {
  const member = /^members\[(\d+)\]/.exec(path);
  if (member) {
    const flag = source.members[Number(member[1])];
    return flag === undefined ? '' : ` (--member ${flag})`;
  }
  const wave = /^order\.waves\[(\d+)\]/.exec(path);
  if (wave) {
    const flag = source.waves[Number(wave[1])];
    return flag === undefined ? ' (--wave)' : ` (--wave ${flag})`;
  }
  return path.startsWith('order') ? ' (--wave)' : path === 'name' ? ' (--name)' : '';
}
