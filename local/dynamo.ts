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
  close(): Promise<void>;
}

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
  const raw = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
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
  return {
    client,
    endpoint,
    table,
    close: async () => {
      raw.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
