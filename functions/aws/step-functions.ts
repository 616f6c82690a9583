/**
 * Step Functions adapters: starting executions (a used name is a no-op, as StartExecution is for the same
 * input), and the callback half of the bake (SendTaskFailure / SendTaskSuccess on the stored token).
 */
import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { BakeSignals, ExecutionInput, WorkflowStarter } from '../ports.ts';
import { call } from './errors.ts';

export class StepFunctionsStarter<I extends object = ExecutionInput> implements WorkflowStarter<I> {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: I): Promise<{ executionArn: string }> {
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    try {
      const out = await call('StartExecution', () =>
        this.client.send(
          new StartExecutionCommand({
            stateMachineArn: this.stateMachineArn,
            name,
            input: JSON.stringify(input),
          }),
        ),
      );
      return { executionArn: out.executionArn ?? executionArn };
    } catch (e) {
      // Same name, same input: a redelivered event or a retried request. Nothing more to start.
      if (e instanceof ExecutionAlreadyExists || (e as { name?: string }).name === 'ExecutionAlreadyExists') {
        return { executionArn };
      }
      throw e;
    }
  }
}

/** Errors AWS answers for a token whose task already ended: nothing left to signal. */
const ENDED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export class StepFunctionsBakeSignals implements BakeSignals {
  constructor(private readonly client: SFNClient) {}

  async fail(token: string, error: string, cause: string): Promise<void> {
    await this.quietly(() =>
      this.client.send(
        new SendTaskFailureCommand({ taskToken: token, error, cause: cause.slice(0, 32_768) }),
      ),
    );
  }

  async succeed(token: string): Promise<void> {
    await this.quietly(() =>
      this.client.send(
        new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ promoted: true }) }),
      ),
    );
  }

  private async quietly(send: () => Promise<unknown>): Promise<void> {
    try {
      await call('SendTask', send);
    } catch (e) {
      if (!ENDED.has((e as { name?: string }).name ?? '')) throw e;
    }
  }
}
