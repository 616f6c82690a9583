import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll } from 'vitest';

/** The SDK clients the code under test makes: the ones a test may stub with aws-sdk-client-mock. */
const CLIENTS = {
  CloudWatchClient,
  DynamoDBClient,
  DynamoDBDocumentClient,
  ECSClient,
  ElasticLoadBalancingV2Client,
  EventBridgeClient,
  LambdaClient,
  SFNClient,
  SQSClient,
};

/**
 * Fails the test file that leaves an SDK client stubbed. `mockClient(LambdaClient)` stubs `send` on the
 * class's prototype, and the next file in the worker shares the class (isolate: false): left there, the
 * stub answers that file's real calls (local mode's dynalite, say) with `undefined`, and the failure shows
 * in whichever file happens to come next. This runs after the file's own `afterAll` hooks.
 */
afterAll(() => {
  const stubbed = Object.entries(CLIENTS)
    .filter(([, client]) => (client.prototype.send as { isSinonProxy?: boolean }).isSinonProxy === true)
    .map(([name]) => name);
  if (stubbed.length > 0)
    throw new Error(
      `this file leaves ${stubbed.join(', ')} stubbed for the next file in its worker: restore each mockClient(…) in afterAll (test/aws) or call restoreMocks (test/handlers/aws-context.ts)`,
    );
});
