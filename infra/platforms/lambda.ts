/**
 * Lambda groups: reading and moving the declared aliases, reading the declared functions' versions
 * (any published version may be the revision), and, for a group with an S3 trigger, turning the
 * uploaded artifact into a version (`UpdateFunctionCode` + `PublishVersion`).
 */
import type { LambdaGroup } from '../../functions/core/group-config.ts';
import { allow, functionArn, type InfraPlatform, routingReaders } from './platform.ts';

/** The S3 objects `group`'s triggers may announce: each declared bucket, under its declared prefix. */
function artifactArns(group: LambdaGroup, partition: string): string[] {
  return group.triggers.flatMap((t) =>
    t.type === 's3ObjectCreated' ? [`arn:${partition}:s3:::${t.bucket}/${t.keyPrefix ?? ''}*`] : [],
  );
}

const hasArtifacts = (group: LambdaGroup) => group.triggers.some((t) => t.type === 's3ObjectCreated');

export const lambdaPlatform: InfraPlatform<LambdaGroup> = {
  grant(groups, { stack, functions: f }) {
    const arnOf = (g: LambdaGroup) => functionArn(stack, g.target.functionName);
    const aliasArns = groups.flatMap((g) => {
      const arn = arnOf(g);
      return [arn, `${arn}:${g.target.alias}`];
    });
    const versionArns = groups.map((g) => `${arnOf(g)}:*`);
    // The alias is the routing: its readers read it; the API's rollback (`POST /deployments/{id}/rollback`)
    // writes it, as the workflow's and the watchdog's do.
    const readers = routingReaders(f);
    const writers = [f.ShiftTraffic, f.Finalize, f.RollBack, f.Api, f.ExecutionEnded];
    allow(readers, ['lambda:GetAlias'], aliasArns);
    allow(writers, ['lambda:UpdateAlias'], aliasArns);
    // The preflight: the revision is a published version.
    allow([f.Prepare, f.ApiStart, f.ApiReleases, f.Intake], ['lambda:GetFunctionConfiguration'], versionArns);

    const withArtifacts = groups.filter(hasArtifacts);
    allow(
      [f.Intake],
      ['lambda:UpdateFunctionCode', 'lambda:PublishVersion', 'lambda:GetFunctionConfiguration'],
      withArtifacts.map(arnOf),
    );
    allow(
      [f.Intake],
      ['s3:GetObject', 's3:GetObjectVersion'],
      withArtifacts.flatMap((g) => artifactArns(g, stack.partition)),
    );
  },

  // Every grant names a declared function, alias or artifact prefix.
  unscopedActions: [],

  acknowledge(groups, { acknowledge, partition, region, account }) {
    for (const group of groups) {
      const name = group.target.functionName;
      const arn = name.startsWith('arn:')
        ? name
        : `arn:${partition}:lambda:${region}:${account}:function:${name}`;
      acknowledge(
        `AwsSolutions-IAM5[Resource::${arn}:*]`,
        `Reading the versions of ${name}, the declared function of group ${group.name}: any published version may be the revision.`,
      );
      for (const artifacts of artifactArns(group, partition)) {
        acknowledge(
          `AwsSolutions-IAM5[Resource::${artifacts}]`,
          `Reading the artifacts uploaded under the declared prefix of group ${group.name}.`,
        );
      }
    }
  },
};
