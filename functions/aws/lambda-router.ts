/**
 * TrafficRouter for a Lambda alias: `GetAlias` / `UpdateAlias` with
 * `RoutingConfig.AdditionalVersionWeights`. Keeps AWS's rules before sending anything (one additional
 * version, weights within [0, 1], the additional version differs from the primary) and passes the
 * `RevisionId` of the alias as last read, so a change made between our read and our write fails as
 * `RoutingDrift` instead of being overwritten.
 */
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { aliasRuleBroken, type LambdaRouting } from '../core/alias.ts';
import { RoutingDrift, StepShiftError } from '../core/errors.ts';
import type { LambdaGroup } from '../core/group-config.ts';
import type { TrafficRouter } from '../ports.ts';
import { call } from './errors.ts';

export class LambdaAliasRouter implements TrafficRouter {
  /** RevisionId of each alias as last read, so the next update is conditional on it. */
  private readonly revisions = new Map<string, string>();

  constructor(private readonly client: LambdaClient) {}

  async current(group: LambdaGroup): Promise<LambdaRouting> {
    const { functionName, alias } = group.target;
    const out = await call('GetAlias', () =>
      this.client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias })),
    );
    if (out.RevisionId) this.revisions.set(`${functionName}:${alias}`, out.RevisionId);
    return {
      kind: 'lambda',
      version: out.FunctionVersion ?? '$LATEST',
      additionalVersionWeights: { ...(out.RoutingConfig?.AdditionalVersionWeights ?? {}) },
    };
  }

  async revisionExists(group: LambdaGroup, revision: string): Promise<boolean> {
    try {
      await call('GetFunctionConfiguration', () =>
        this.client.send(
          new GetFunctionConfigurationCommand({
            FunctionName: group.target.functionName,
            Qualifier: revision,
          }),
        ),
      );
      return true;
    } catch (e) {
      if ((e as { name?: string }).name === 'ResourceNotFoundException') return false;
      throw e;
    }
  }

  async apply(group: LambdaGroup, target: LambdaRouting): Promise<LambdaRouting> {
    checkAwsRules(target);
    const { functionName, alias } = group.target;
    const key = `${functionName}:${alias}`;
    if (!this.revisions.has(key)) await this.current(group);
    try {
      const out = await call('UpdateAlias', () =>
        this.client.send(
          new UpdateAliasCommand({
            FunctionName: functionName,
            Name: alias,
            FunctionVersion: target.version,
            // An empty map removes the routing config: all traffic on FunctionVersion.
            RoutingConfig: { AdditionalVersionWeights: { ...target.additionalVersionWeights } },
            RevisionId: this.revisions.get(key),
          }),
        ),
      );
      if (out.RevisionId) this.revisions.set(key, out.RevisionId);
      return {
        kind: 'lambda',
        version: out.FunctionVersion ?? target.version,
        additionalVersionWeights: { ...(out.RoutingConfig?.AdditionalVersionWeights ?? {}) },
      };
    } catch (e) {
      if ((e as { name?: string }).name === 'PreconditionFailedException') {
        this.revisions.delete(key);
        throw new RoutingDrift(`alias ${key} changed since stepshift read it (RevisionId no longer matches)`);
      }
      throw e;
    }
  }
}

/** The rules UpdateAlias enforces, checked before the call so a bad request is never sent. */
export function checkAwsRules(routing: LambdaRouting): void {
  const broken = aliasRuleBroken(routing);
  if (broken) throw new StepShiftError(broken);
}
