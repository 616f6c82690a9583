/**
 * The expressions of the records' writes (functions/aws/dynamo-records.ts): a conditional SET of a
 * record's fields, a REMOVE, and the key of a timeline entry; the adapter tests assert them exactly.
 */

export const isConditionFailure = (e: unknown): boolean =>
  (e as { name?: string })?.name === 'ConditionalCheckFailedException';

/**
 * `SET` of every defined field of `patch` but `id`, and `updatedAt`, on a record that exists; with
 * `expectStatus`, only while its status is one of them; with `unless`, only while that field is absent.
 *
 * @example conditionalSet({percent: 10}, '2026-…', {expectStatus: ['IN_PROGRESS']})
 *   → SET #f0 = :v0, #f1 = :v1 — attribute_exists(pk) AND #status IN (:s0)
 */
export function conditionalSet(
  patch: Record<string, unknown>,
  updatedAt: string,
  options: { expectStatus?: readonly string[] | undefined; unless?: string | undefined } = {},
): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const entries = Object.entries(patch).filter(([k, v]) => v !== undefined && k !== 'id');
  entries.push(['updatedAt', updatedAt]);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = entries.map(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:v${i}`] = v;
    return `#f${i} = :v${i}`;
  });
  let condition = 'attribute_exists(pk)';
  const { expectStatus, unless } = options;
  if (expectStatus && expectStatus.length > 0) {
    names['#status'] = 'status';
    condition += ` AND #status IN (${expectStatus.map((s, i) => {
      values[`:s${i}`] = s;
      return `:s${i}`;
    })})`;
  }
  if (unless) {
    names['#unless'] = unless;
    condition += ' AND attribute_not_exists(#unless)';
  }
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** `REMOVE` of `fields`. */
export function removeFields(fields: readonly string[]): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
} {
  return {
    UpdateExpression: `REMOVE ${fields.map((_, i) => `#r${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(fields.map((f, i) => [`#r${i}`, f])),
  };
}

/** A timeline entry's sort key: by time, then by a per-process sequence and a random tail (no collisions). */
export const timelineKey = (at: string, seq: number): string =>
  `TL#${at}#${String(seq).padStart(6, '0')}${Math.random().toString(36).slice(2, 6)}`;
