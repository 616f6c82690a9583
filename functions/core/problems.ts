import { en } from 'zod/locales';
import * as z from 'zod/mini';
import type { Problem } from './errors.ts';

// zod/mini ships no messages ("Invalid input" for everything): English, as classic zod has it, for the
// rules that state none of their own. And a missing field reads "is required", not zod's "expected
// string, received undefined".
z.config({
  ...en(),
  customError: (issue) =>
    issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined,
});

/**
 * Renders a path as users write it: `groups.orders-api.hooks.BeforeAllowTraffic[0]`.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

type Issue = z.core.$ZodIssue;

/**
 * Turns a zod error into problems, one per field. An object with unknown keys yields one problem per
 * key, on the key's own path, so that a typo is reported where it stands. A union that failed is
 * reported through the branch the input was meant for (the one that failed deeper than its root),
 * so `{type: "linear", percent: 700}` says what is wrong with `percent`, not "no branch matched".
 */
export function problemsFrom(error: z.core.$ZodError, prefix: readonly PropertyKey[] = []): Problem[] {
  return flatten(error.issues, prefix);
}

function flatten(issues: readonly Issue[], prefix: readonly PropertyKey[]): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const custom = !issue.message.startsWith('Unrecognized key');
      for (const key of issue.keys) {
        problems.push({
          path: formatPath([...path, key]),
          message: custom ? `"${key}" ${issue.message}` : `unknown field "${key}"`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      // A branch that knows every key the input has is meant before one that found keys it does not
      // know: `{pause: {timeoutSeconds: 0}}` is a pause with a bad timeout, not a step missing its percent.
      const specific = issue.errors.filter((branch) => branch.length > 0 && branch.some(isSpecific));
      const meant =
        specific.find(
          (branch) => !branch.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0),
        ) ?? specific[0];
      if (meant) {
        problems.push(...flatten(meant, path));
        continue;
      }
    }
    if (issue.code === 'invalid_key') {
      problems.push({ path: formatPath(path), message: issue.issues.map((i) => i.message).join('; ') });
      continue;
    }
    problems.push({ path: formatPath(path), message: issue.message });
  }
  return problems;
}

/** An issue that shows the input took this branch: anything but a wrong type or value at its root. */
function isSpecific(issue: Issue): boolean {
  if (issue.code === 'invalid_union') return issue.errors.length > 0;
  if (issue.path.length > 0) return true;
  return issue.code !== 'invalid_type' && issue.code !== 'invalid_value';
}

/**
 * The error option of a type: "is required" when the field is missing, else the rule.
 * A schema's own message wins over the global one, so types that state a rule use this.
 */
export function typeRule(rule: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : rule) };
}
