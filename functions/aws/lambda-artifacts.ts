/**
 * ArtifactPublisher for Lambda groups: `UpdateFunctionCode` from the S3 object, wait until the update is
 * done (it is asynchronous), then `PublishVersion` with the CodeSha256 the update returned, so the version
 * published is exactly the uploaded code. Lambda publishes no new version for unchanged code, so a
 * redelivered event gets the same version back.
 */
import {
  GetFunctionConfigurationCommand,
  type LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { StepShiftError, Transient } from '../core/errors.ts';
import type { LambdaGroup } from '../core/group-config.ts';
import type { ArtifactPublisher } from '../ports.ts';
import { call } from './errors.ts';

export class LambdaArtifactPublisher implements ArtifactPublisher {
  constructor(
    private readonly client: LambdaClient,
    private readonly options: { pollMs?: number; maxPolls?: number } = {},
  ) {}

  async publishLambda(
    group: LambdaGroup,
    bucket: string,
    key: string,
    objectVersion?: string,
  ): Promise<string> {
    const FunctionName = group.target.functionName;
    const updated = await call('UpdateFunctionCode', () =>
      this.client.send(
        new UpdateFunctionCodeCommand({
          FunctionName,
          S3Bucket: bucket,
          S3Key: key,
          ...(objectVersion ? { S3ObjectVersion: objectVersion } : {}),
        }),
      ),
    );
    let status = updated.LastUpdateStatus;
    for (let i = 0; status === 'InProgress' && i < (this.options.maxPolls ?? 60); i++) {
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 1000));
      const config = await call('GetFunctionConfiguration', () =>
        this.client.send(new GetFunctionConfigurationCommand({ FunctionName })),
      );
      status = config.LastUpdateStatus;
      if (status === 'Failed') {
        throw new StepShiftError(
          `the code update of ${FunctionName} failed: ${config.LastUpdateStatusReason ?? ''}`,
        );
      }
    }
    if (status === 'InProgress')
      throw new Transient(`the code update of ${FunctionName} is still in progress`);
    const published = await call('PublishVersion', () =>
      this.client.send(
        new PublishVersionCommand({
          FunctionName,
          ...(updated.CodeSha256 ? { CodeSha256: updated.CodeSha256 } : {}),
          Description: `s3://${bucket}/${key}${objectVersion ? `?versionId=${objectVersion}` : ''}`.slice(
            0,
            256,
          ),
        }),
      ),
    );
    if (!published.Version) throw new StepShiftError(`PublishVersion of ${FunctionName} returned no version`);
    return published.Version;
  }
}
