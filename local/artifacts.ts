/**
 * Local mode's S3 and its `ArtifactPublisher`: buckets are folders under the data folder, and an artifact
 * becomes a version of the simulated function as on AWS — UpdateFunctionCode from the object, then
 * PublishVersion — with Lambda's refusals: a missing object, a file that is not a zip, a function that
 * does not exist raise {@link ArtifactRejected}, which intake drops to the dead letters with the reason.
 *
 * An artifact's behaviour under traffic is not in its code (nothing runs it): it is given when the
 * object is put (`stepshift local event s3-put … --error-rate 0.3`) and kept beside it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { ArtifactRejected } from '../functions/aws/lambda-artifacts.ts';
import { ValidationError } from '../functions/core/errors.ts';
import type { LambdaGroup } from '../functions/core/group-config.ts';
import type { ArtifactPublisher } from '../functions/ports.ts';
import type { SimulatedAccount, VersionProfile } from './account.ts';
import { HEALTHY } from './behaviour.ts';

/** A zip starts with a local file header, or is empty and starts with the end-of-central-directory record. */
const ZIP_MAGIC = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];

export interface StoredObject {
  bucket: string;
  key: string;
  size: number;
  /** MD5 of the content, as S3 gives a single-part upload's ETag. */
  etag: string;
}

export class LocalBuckets {
  constructor(private readonly root: string) {}

  /** The file of an object; a key that would leave its bucket's folder is refused. */
  private file(bucket: string, key: string, tree = 'objects'): string {
    const base = resolve(this.root, tree, bucket);
    const path = resolve(base, key);
    if (!path.startsWith(base + sep)) {
      throw new ValidationError('invalid object', [{ path: 'key', message: `"${key}" leaves the bucket` }]);
    }
    return path;
  }

  put(bucket: string, key: string, content: Buffer, profile: VersionProfile = HEALTHY): StoredObject {
    const path = this.file(bucket, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    const meta = this.file(bucket, `${key}.json`, 'behaviours');
    mkdirSync(dirname(meta), { recursive: true });
    writeFileSync(meta, JSON.stringify(profile));
    return { bucket, key, size: content.length, etag: createHash('md5').update(content).digest('hex') };
  }

  /** The object's content and behaviour, or undefined when there is no such object. */
  get(bucket: string, key: string): { content: Buffer; profile: VersionProfile } | undefined {
    const path = this.file(bucket, key);
    if (!existsSync(path) || key.endsWith('/')) return undefined;
    const meta = this.file(bucket, `${key}.json`, 'behaviours');
    const profile = existsSync(meta) ? (JSON.parse(readFileSync(meta, 'utf8')) as VersionProfile) : HEALTHY;
    return { content: readFileSync(path), profile };
  }

  /** Where users may drop objects by hand. */
  folder(bucket: string): string {
    return join(this.root, 'objects', bucket);
  }
}

export class LocalArtifactPublisher implements ArtifactPublisher {
  constructor(
    private readonly account: SimulatedAccount,
    private readonly buckets: LocalBuckets,
  ) {}

  async publishLambda(group: LambdaGroup, bucket: string, key: string): Promise<string> {
    const functionName = group.target.functionName;
    const artifact = `s3://${bucket}/${key}`;
    const reject = (why: string) =>
      new ArtifactRejected(`Lambda rejected ${artifact} as the code of ${functionName}: ${why}`);
    if (!this.account.lambda.hasFunction(functionName))
      throw reject(`ResourceNotFoundException: Function not found: ${functionName}`);
    let object: ReturnType<LocalBuckets['get']>;
    try {
      object = this.buckets.get(bucket, key);
    } catch {
      object = undefined;
    }
    if (!object) {
      throw reject(
        `InvalidParameterValueException: Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.`,
      );
    }
    if (!ZIP_MAGIC.some((magic) => object.content.subarray(0, 4).equals(magic))) {
      throw reject(
        'InvalidParameterValueException: Could not unzip uploaded file. Please check your file, then try to upload again.',
      );
    }
    const sha = createHash('sha256').update(object.content).digest('base64');
    return this.account.lambda.publishCode(functionName, sha, object.profile);
  }
}
