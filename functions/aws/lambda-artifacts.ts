/**
 * ArtifactPublisher for Lambda groups: `UpdateFunctionCode` from the S3 object, wait until the update is
 * done (it is asynchronous), then `PublishVersion` with the CodeSha256 the update returned, so the version
 * published is exactly the uploaded code. Lambda publishes no new version for unchanged code, so a
 * redelivered event gets the same version back.
 *
 * An artifact Lambda refuses (not a zip, a zip it cannot unzip, an object it cannot read, a code update
 * that ends Failed) raises {@link ArtifactRejected}: the same object can never succeed, so intake sends
 * the event to the dead letters with Lambda's reason instead of retrying it.
 */
import {
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { StepShiftError, Transient } from '../core/errors.ts';
import type { LambdaGroup } from '../core/group-config.ts';
import type { ArtifactPublisher } from '../ports.ts';
import { call } from './errors.ts';

/**
 * Lambda refused the artifact, or the function it is for: retrying the same object cannot succeed. A 4xx
 * status, which intake reads as "drop with this reason" (functions/api/intake.ts).
 */
export class ArtifactRejected extends StepShiftError {
  override name = 'ArtifactRejected';
  override readonly status = 422;
}

/**
 * UpdateFunctionCode errors about the artifact or its target, not about AWS being busy: the Lambda API
 * answers InvalidParameterValueException for an object that is not a usable zip or that it cannot read.
 * ResourceConflictException (another update in progress) and throttling are not here: they are retried.
 */
const REJECTIONS = new Set([
  'InvalidParameterValueException',
  'RequestTooLargeException',
  'CodeStorageExceededException',
  'CodeVerificationFailedException',
  'InvalidCodeSignatureException',
  'CodeSigningConfigNotFoundException',
  'ResourceNotFoundException',
]);

/** What UpdateFunctionCode and GetFunctionConfiguration both say about the last code update. */
type LastUpdate = Pick<
  FunctionConfiguration,
  'LastUpdateStatus' | 'LastUpdateStatusReason' | 'LastUpdateStatusReasonCode'
>;

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
    const artifact = `s3://${bucket}/${key}${objectVersion ? `?versionId=${objectVersion}` : ''}`;
    const updated = await call('UpdateFunctionCode', () =>
      this.client.send(
        new UpdateFunctionCodeCommand({
          FunctionName,
          S3Bucket: bucket,
          S3Key: key,
          ...(objectVersion ? { S3ObjectVersion: objectVersion } : {}),
        }),
      ),
    ).catch((e: unknown) => {
      const { name, message } = e as { name?: string; message?: string };
      if (name && REJECTIONS.has(name)) {
        throw new ArtifactRejected(
          `Lambda rejected ${artifact} as the code of ${FunctionName}: ${name}: ${message ?? ''}`.trim(),
        );
      }
      throw e;
    });
    let state: LastUpdate = updated;
    for (let i = 0; state.LastUpdateStatus === 'InProgress' && i < (this.options.maxPolls ?? 60); i++) {
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 1000));
      state = await call('GetFunctionConfiguration', () =>
        this.client.send(new GetFunctionConfigurationCommand({ FunctionName })),
      );
    }
    const status = state.LastUpdateStatus;
    if (status === 'Failed') {
      const code = state.LastUpdateStatusReasonCode ? `${state.LastUpdateStatusReasonCode}: ` : '';
      throw new ArtifactRejected(
        `the code update of ${FunctionName} from ${artifact} failed: ${code}${state.LastUpdateStatusReason ?? ''}`,
      );
    }
    if (status === 'InProgress')
      throw new Transient(`the code update of ${FunctionName} is still in progress`);
    const published = await call('PublishVersion', () =>
      this.client.send(
        new PublishVersionCommand({
          FunctionName,
          ...(updated.CodeSha256 ? { CodeSha256: updated.CodeSha256 } : {}),
          Description: artifact.slice(0, 256),
        }),
      ),
    );
    if (!published.Version) throw new StepShiftError(`PublishVersion of ${FunctionName} returned no version`);
    return published.Version;
  }
}
