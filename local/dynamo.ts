/**
 * Local DynamoDB: dynalite on loopback, in memory or persisted (LevelDB) under a data folder, used
 * through the very same DynamoDB adapter as on AWS — only the endpoint differs.
 */
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { TABLE_DEFINITION } from '../functions/aws/dynamo-store.ts';

export interface LocalDynamo {
  client: DynamoDBDocumentClient;
  endpoint: string;
  table: string;
  /** Requests sent and not yet answered: a test clock waits for none to be in flight before moving. */
  inflight(): number;
  /** Called each time the last request in flight is answered. */
  onIdle: () => void;
  close(): Promise<void>;
}

/**
 * The SDK client for a local DynamoDB endpoint, with the SDK's standard retries (3 attempts, jittered
 * backoff) as on AWS: dynalite on loopback still resets a socket now and then, and one reset must not
 * become a failed request — or, in a task, a failed deployment.
 */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    retryMode: 'standard',
    maxAttempts: 3,
  });
}

/** How long `close` lets requests in flight finish before it cuts them off. */
const CLOSE_GRACE_MS = 2000;

export async function startLocalDynamo(
  options: { path?: string; table?: string } = {},
): Promise<LocalDynamo> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const raw = localDynamoClient(endpoint);
  let inflight = 0;
  const local: Pick<LocalDynamo, 'onIdle'> = { onIdle: () => {} };
  raw.middlewareStack.add(
    (next) => async (args) => {
      inflight += 1;
      try {
        return await next(args);
      } finally {
        inflight -= 1;
        if (inflight === 0) local.onIdle();
      }
    },
    { step: 'initialize', priority: 'high', name: 'stepshiftInflight' },
  );
  const table = options.table ?? 'stepshift';
  try {
    await raw.send(
      new CreateTableCommand({ TableName: table, ...structuredClone(TABLE_DEFINITION) } as never),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  // dynalite creates tables asynchronously even with createTableMs 0: wait until ACTIVE.
  for (let i = 0; ; i++) {
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: table }));
    if (
      Table?.TableStatus === 'ACTIVE' &&
      (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')
    )
      break;
    if (i > 400) throw new Error(`local table ${table} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return Object.assign(local, {
    client,
    endpoint,
    table,
    inflight: () => inflight,
    // Requests in flight are answered first (within a grace period): a caller still awaiting one — a
    // progress line, an alarm intake — gets its answer rather than a reset it would have to handle.
    close: async () => {
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      raw.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
