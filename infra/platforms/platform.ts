/**
 * What the stack knows about one kind of deployment group: the IAM stepshift's functions need to
 * deploy to the groups of that kind, and the cdk-nag findings those grants raise. The stack never asks
 * a group's kind; it looks the platform up by kind in `PLATFORMS` (./index.ts), as the tasks do with
 * their own platforms. A third kind of group is one more module here and one more row in that table.
 */
import { ArnFormat, aws_iam as iam, type aws_lambda as lambda, type Stack } from 'aws-cdk-lib';
import type { DeploymentGroup } from '../../functions/core/group-config.ts';
import type { StepShiftFunctions } from '../functions.ts';

export interface GrantContext {
  /** The stack, for ARNs in its partition, region and account. */
  stack: Stack;
  /** stepshift's functions by name: a platform grants each what its code calls for the platform's groups. */
  functions: StepShiftFunctions;
}

export interface NagContext {
  /** Acknowledges one cdk-nag finding, by its exact id (cdk-nag 3 has no prefix matching). */
  acknowledge(id: string, reason: string): void;
  /** The stack's partition, region and account as cdk-nag shows them in finding ids: `<AWS::Partition>`
   * for a pseudo parameter, the value itself when the stack's environment fixes it. */
  partition: string;
  region: string;
  account: string;
}

export interface InfraPlatform<G extends DeploymentGroup> {
  /**
   * Grants stepshift's functions what their code calls to deploy to `groups` — every group of this
   * kind in the config, perhaps none — naming exactly the declared resources.
   */
  grant(groups: readonly G[], context: GrantContext): void;
  /**
   * The actions `grant` allows on `Resource: *` — AWS offers no resource-level permission for them, or
   * their resource cannot be known before the call — as the one acknowledgement of cdk-nag's
   * `IAM5[Resource::*]` lists them.
   */
  unscopedActions: readonly string[];
  /** Acknowledges the other cdk-nag findings `grant` raises for `groups`, each with its reason. */
  acknowledge(groups: readonly G[], nag: NagContext): void;
}

/**
 * The functions that read a group's live routing, whatever its kind: the preflight (Prepare, the API's
 * starts and releases, the intake), the shift and its drift check, Finalize, every rollback (the
 * workflow's, the watchdog's, and the API's `POST /deployments/{id}/rollback`) and the API's reads.
 */
export function routingReaders(f: StepShiftFunctions): lambda.IFunction[] {
  return [
    f.Prepare,
    f.ShiftTraffic,
    f.Finalize,
    f.RollBack,
    f.Api,
    f.ApiStart,
    f.ApiReleases,
    f.Intake,
    f.ExecutionEnded,
  ];
}

/** Allows `actions` on `resources` to each of `fns`; nothing at all when there is no resource to name. */
export function allow(fns: lambda.IFunction[], actions: string[], resources: string[]): void {
  if (resources.length === 0) return;
  for (const each of fns) each.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
}

/** The ARN of a Lambda function the config names by name (in the stack's account) or by ARN. */
export function functionArn(stack: Stack, name: string): string {
  return name.startsWith('arn:')
    ? name
    : stack.formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
}
