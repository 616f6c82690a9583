/**
 * EventBridge event-pattern matching, for local mode's event bus and for the tests that hold the
 * synthesized rules to AWS's sample events. No maintained npm library does this (DESIGN.md), so it is
 * written here, small, after AWS's documentation of event patterns
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html) and of
 * Event Ruler, the matching library EventBridge uses (https://github.com/aws/event-ruler):
 *
 * - fields of a pattern are ANDed; the values listed for a field are ORed; objects nest;
 * - a value matches exactly (strings case-sensitive, `null` only null, `""` only the empty string), or
 *   by one operator: `prefix`, `suffix` (each also with `equals-ignore-case`), `equals-ignore-case`,
 *   `wildcard`, `anything-but` (values, `prefix`, `suffix`, `equals-ignore-case`, `wildcard`),
 *   `numeric` (`=`, `<`, `<=`, `>`, `>=`, ranges), `cidr` (IPv4 and IPv6), `exists`;
 * - `$or` takes sub-patterns, at any level, and matches if one of them does;
 * - where the event has an array, the field matches if one element does; a nested pattern must match
 *   within one element of an array of objects (Ruler's "array-consistent" matching);
 * - operators apply to leaves only: `exists: true` wants a non-object value, `exists: false` matches a
 *   field that is absent or an object (AWS's example: `c-count: {c1: 100}` is not a leaf);
 * - `anything-but` needs the field present; the string operators match only strings, `numeric` only
 *   numbers, `cidr` only IP address strings.
 *
 * A pattern EventBridge would refuse (an operator it does not know, two operators in one object,
 * `**` in a wildcard, a numeric range the wrong way round, an empty list) throws {@link InvalidEventPattern}
 * when compiled, naming the field.
 *
 * Known difference: EventBridge compares numbers by their JSON text (`300`, `300.0` and `3.0e2` differ in
 * an exact match); parsed JSON keeps only the value, so here they are equal. `numeric` is unaffected.
 *
 * @example
 * matchesEventPattern({ source: ['aws.ecr'], detail: { 'image-tag': [{ exists: true }] } },
 *   { source: 'aws.ecr', detail: { 'image-tag': 'latest' } }) → true
 */

/** A pattern EventBridge would reject, like its InvalidEventPatternException. */
export class InvalidEventPattern extends Error {
  override name = 'InvalidEventPattern';
}

/** Tests one event: its root object. */
export type EventMatcher = (event: unknown) => boolean;

/** Compiles `pattern` once (validating it), for matching many events. */
export function compileEventPattern(pattern: unknown): EventMatcher {
  if (!isObject(pattern)) throw invalid('(root)', `a pattern is a JSON object, not ${describe(pattern)}`);
  if (Object.keys(pattern).length === 0) throw invalid('(root)', 'a pattern names at least one field');
  const test = compileObject(pattern, '');
  return (event) => isObject(event) && test(event);
}

/** Whether `event` matches `pattern`. Throws {@link InvalidEventPattern} for a pattern EventBridge refuses. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

type JsonObject = { [key: string]: unknown };
/** Tests the object at one level of the event (`{}` where the event has nothing there). */
type ObjectTest = (node: JsonObject) => boolean;
/** Tests the values found at one field: every leaf, array elements flattened. */
type LeafTest = (values: readonly unknown[]) => boolean;

const EMPTY: JsonObject = Object.freeze({});

function compileObject(pattern: JsonObject, path: string): ObjectTest {
  const tests: ObjectTest[] = [];
  for (const [field, spec] of Object.entries(pattern)) {
    const at = path ? `${path}.${field}` : field;
    if (field === '$or') {
      tests.push(compileOr(spec, at));
    } else if (Array.isArray(spec)) {
      const leaf = compileLeaves(spec, at);
      tests.push((node) => leaf(leavesOf(valuesAt(node, field))));
    } else if (isObject(spec)) {
      const nested = compileObject(spec, at);
      tests.push((node) => {
        const objects = valuesAt(node, field).filter(isObject);
        // Nothing there: the nested pattern still matches if it asks only for absence (exists: false).
        return objects.length === 0 ? nested(EMPTY) : objects.some(nested);
      });
    } else {
      throw invalid(at, `must be an array of values or an object of fields, not ${describe(spec)}`);
    }
  }
  return (node) => tests.every((test) => test(node));
}

function compileOr(spec: unknown, at: string): ObjectTest {
  if (!Array.isArray(spec) || spec.length === 0 || !spec.every(isObject)) {
    throw invalid(at, 'must be an array of sub-patterns (objects)');
  }
  const branches = spec.map((branch, i) => {
    if (Object.keys(branch).length === 0)
      throw invalid(`${at}[${i}]`, 'a sub-pattern names at least one field');
    return compileObject(branch, at.replace(/\.?\$or$/, ''));
  });
  return (node) => branches.some((branch) => branch(node));
}

/** The event's value(s) at `field` of `node`: array elements flattened, nested arrays too. */
function valuesAt(node: JsonObject, field: string): unknown[] {
  if (!Object.hasOwn(node, field)) return [];
  return flatten(node[field]);
}

function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value];
}

/** The leaves among values: objects are inner nodes, which leaf operators do not see. */
function leavesOf(values: readonly unknown[]): unknown[] {
  return values.filter((v) => !isObject(v));
}

function compileLeaves(spec: readonly unknown[], at: string): LeafTest {
  if (spec.length === 0) throw invalid(at, 'must list at least one value');
  const tests = spec.map((value, i) => compileLeaf(value, `${at}[${i}]`));
  return (values) => tests.some((test) => test(values));
}

/** One value of a field's list: an exact value, or one operator. */
function compileLeaf(value: unknown, at: string): LeafTest {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
    return (values) => values.some((v) => v === value);
  }
  if (!isObject(value)) {
    throw invalid(at, `must be a string, number, boolean, null or an operator, not ${describe(value)}`);
  }
  const [operator, ...more] = Object.keys(value);
  if (operator === undefined || more.length > 0) {
    throw invalid(at, `an operator object has exactly one key, not ${Object.keys(value).length}`);
  }
  const arg = value[operator];
  const each =
    (test: (v: unknown) => boolean): LeafTest =>
    (values) =>
      values.some(test);
  switch (operator) {
    case 'exists':
      if (typeof arg !== 'boolean') throw invalid(at, 'exists takes true or false');
      return (values) => values.length > 0 === arg;
    case 'prefix':
    case 'suffix':
      return each(compileAffix(operator, arg, at));
    case 'equals-ignore-case': {
      const expected = stringArg(arg, at, operator);
      return each((v) => typeof v === 'string' && sameIgnoringCase(v, expected));
    }
    case 'wildcard': {
      const regex = wildcardRegex(stringArg(arg, at, operator), at);
      return each((v) => typeof v === 'string' && regex.test(v));
    }
    case 'anything-but':
      // An absent field is not "anything but": there is nothing to compare.
      return each(compileAnythingBut(arg, at));
    case 'numeric':
      return each(compileNumeric(arg, at));
    case 'cidr':
      return each(compileCidr(arg, at));
    default:
      throw invalid(at, `unknown operator "${operator}"`);
  }
}

function compileAffix(operator: 'prefix' | 'suffix', arg: unknown, at: string): (v: unknown) => boolean {
  const fold = isObject(arg) && Object.keys(arg).length === 1 && 'equals-ignore-case' in arg;
  const affix = stringArg(fold ? arg['equals-ignore-case'] : arg, at, operator);
  const has = (v: string, a: string) => (operator === 'prefix' ? v.startsWith(a) : v.endsWith(a));
  return fold
    ? (v) => typeof v === 'string' && has(v.toLowerCase(), affix.toLowerCase())
    : (v) => typeof v === 'string' && has(v, affix);
}

function compileAnythingBut(arg: unknown, at: string): (v: unknown) => boolean {
  if (typeof arg === 'string' || typeof arg === 'number') return (v) => v !== arg;
  if (Array.isArray(arg)) {
    const list: readonly unknown[] = arg;
    const kinds = new Set(list.map((a) => typeof a));
    if (list.length === 0 || kinds.size !== 1 || !(kinds.has('string') || kinds.has('number'))) {
      throw invalid(at, 'anything-but takes a list of only strings or only numbers');
    }
    return (v) => !list.includes(v);
  }
  if (!isObject(arg) || Object.keys(arg).length !== 1) {
    throw invalid(
      at,
      'anything-but takes a value, a list, or one of prefix, suffix, equals-ignore-case, wildcard',
    );
  }
  const [operator] = Object.keys(arg) as [string];
  const inner = arg[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      const matches = compileAffix(operator, stringArg(inner, at, `anything-but ${operator}`), at);
      return (v) => typeof v === 'string' && !matches(v);
    }
    case 'equals-ignore-case': {
      const values = stringList(inner, at, 'anything-but equals-ignore-case');
      return (v) => typeof v === 'string' && !values.some((x) => sameIgnoringCase(v, x));
    }
    case 'wildcard': {
      const regexes = stringList(inner, at, 'anything-but wildcard').map((w) => wildcardRegex(w, at));
      return (v) => typeof v === 'string' && !regexes.some((r) => r.test(v));
    }
    default:
      throw invalid(at, `anything-but does not take "${operator}"`);
  }
}

const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `["=", 3]`, `["<", 10]`, or a range `[">", 0, "<=", 5]` (lower bound first). */
function compileNumeric(arg: unknown, at: string): (v: unknown) => boolean {
  const bad = () => invalid(at, 'numeric takes [op, number] or a range [">"|">=", low, "<"|"<=", high]');
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw bad();
  const pairs: [string, number][] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const [op, n] = [arg[i], arg[i + 1]];
    if (typeof op !== 'string' || !(op in COMPARE) || typeof n !== 'number' || !Number.isFinite(n))
      throw bad();
    pairs.push([op, n]);
  }
  const [low, high] = pairs;
  if (high && low && !(LOWER.has(low[0]) && UPPER.has(high[0]) && low[1] < high[1])) throw bad();
  return (v) =>
    typeof v === 'number' &&
    pairs.every(([op, n]) => (COMPARE[op] as (a: number, b: number) => boolean)(v, n));
}

function compileCidr(arg: unknown, at: string): (v: unknown) => boolean {
  const text = stringArg(arg, at, 'cidr');
  const [address = '', bits] = text.split('/');
  const network = parseIp(address);
  const width = network?.family === 4 ? 32 : 128;
  const prefix = bits === undefined ? width : Number(bits);
  if (!network || !/^\d{1,3}$/.test(bits ?? String(width)) || prefix > width) {
    throw invalid(at, `cidr takes an IPv4 or IPv6 block such as 10.0.0.0/24 or 2001:db8::/32, not "${text}"`);
  }
  const shift = BigInt(width - prefix);
  return (v) => {
    const ip = typeof v === 'string' ? parseIp(v) : undefined;
    return ip?.family === network.family && ip.value >> shift === network.value >> shift;
  };
}

/** An IPv4 or IPv6 address as a number, or undefined when it is not one. */
function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.toLowerCase().split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined) => (half ? half.split(':') : []);
  let head = groups(halves[0]);
  let tail = groups(halves[1]);
  // A trailing dotted quad (::ffff:10.0.0.1) stands for the last two groups.
  const last = (halves.length === 2 ? tail : head).at(-1);
  const quad = last?.includes('.') ? parseIpv4(last) : undefined;
  if (last?.includes('.') && quad === undefined) return undefined;
  const quadGroups = quad === undefined ? [] : [(quad >> 16n).toString(16), (quad & 0xffffn).toString(16)];
  if (quad !== undefined) {
    if (halves.length === 2) tail = [...tail.slice(0, -1), ...quadGroups];
    else head = [...head.slice(0, -1), ...quadGroups];
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/**
 * A wildcard as an anchored regular expression: `*` is any run of characters, `\*` a star, `\\` a
 * backslash; `**` and any other escape are refused, as Event Ruler refuses them.
 */
function wildcardRegex(wildcard: string, at: string): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard.charAt(i);
    if (c === '\\') {
      const next = wildcard.charAt(i + 1);
      if (next !== '*' && next !== '\\') {
        throw invalid(at, `wildcard "${wildcard}": a backslash escapes only * or \\`);
      }
      source += `\\${next}`;
      i += 1;
    } else if (c === '*') {
      if (wildcard.charAt(i + 1) === '*')
        throw invalid(at, `wildcard "${wildcard}": consecutive * are not allowed`);
      source += '[\\s\\S]*';
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 'u');
}

function stringArg(arg: unknown, at: string, operator: string): string {
  if (typeof arg !== 'string') throw invalid(at, `${operator} takes a string, not ${describe(arg)}`);
  return arg;
}

function stringList(arg: unknown, at: string, operator: string): string[] {
  if (typeof arg === 'string') return [arg];
  if (Array.isArray(arg) && arg.length > 0 && arg.every((a) => typeof a === 'string')) return arg;
  throw invalid(at, `${operator} takes a string or a list of strings`);
}

function sameIgnoringCase(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : JSON.stringify(value);
}

function invalid(at: string, message: string): InvalidEventPattern {
  return new InvalidEventPattern(`invalid event pattern at ${at}: ${message}`);
}
