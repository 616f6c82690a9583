/**
 * Records every AWS SDK command a stepshift function sends, labelled with the function that sent it.
 *
 * The handlers run one at a time, each inside `as(name, …)`: what the mocked clients received (their
 * call history, emptied before each run) and what the DynamoDB client sent to the local table (a
 * middleware on its stack) during that run is the function's. The mocks are aws-sdk-client-mock's, as in
 * test/handlers; nothing is patched.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FnName } from '../../infra/functions.ts';
import { mocks } from '../handlers/aws-context.ts';

/** One SDK command as sent: its name (`UpdateAliasCommand`), its input, and what AWS answered. */
export interface SentCommand {
  command: string;
  input: Record<string, unknown>;
  /** The answer of a mocked client (the ARN a RegisterTaskDefinition created); none for DynamoDB. */
  output?: Record<string, unknown> | undefined;
}

/** The kind of group a run deployed to; `none` for a run about no group (a dropped event). */
export type RunKind = 'lambda' | 'ecs' | 'none';

export interface RecordedCall extends SentCommand {
  fn: FnName;
  kind: RunKind;
}

export class CallRecorder {
  readonly calls: RecordedCall[] = [];
  /** Every run, in order: which function ran, for which kind of group. */
  readonly runs: { fn: FnName; kind: RunKind }[] = [];
  private dynamo: SentCommand[] = [];
  private running: FnName | undefined;

  /** Records the DynamoDB commands `client` sends (the store's client, to the local table). */
  watchDynamo(client: DynamoDBDocumentClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const { commandName } = context as { commandName?: string };
        if (this.running && commandName) {
          this.dynamo.push({ command: commandName, input: { ...(args.input as Record<string, unknown>) } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'iamContractRecorder', override: true },
    );
  }

  /** Runs `act` as the function `fn` on a group of `kind`, and records what it sent; returns what `act` returned. */
  async as<T>(fn: FnName, kind: RunKind, act: () => Promise<T>): Promise<T> {
    if (this.running)
      throw new Error(`${fn} started while ${this.running} runs: run the handlers one at a time`);
    for (const mock of Object.values(mocks)) mock.resetHistory();
    this.dynamo = [];
    this.running = fn;
    this.runs.push({ fn, kind });
    try {
      return await act();
    } finally {
      this.running = undefined;
      for (const mock of Object.values(mocks)) {
        for (const call of mock.calls()) {
          const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
          // Settled by now: the run is over. A command AWS refused has no answer.
          const output = (await Promise.resolve(call.returnValue).catch(() => undefined)) as
            | Record<string, unknown>
            | undefined;
          this.calls.push({ fn, kind, command: command.constructor.name, input: command.input, output });
        }
      }
      for (const sent of this.dynamo) this.calls.push({ fn, kind, ...sent });
    }
  }

  /** The functions that sent `command`. */
  senders(command: string): FnName[] {
    return [...new Set(this.calls.filter((c) => c.command === command).map((c) => c.fn))];
  }
}
