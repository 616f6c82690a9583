import { describe, expect, it } from 'vitest';
import { executionConsoleUrl, hasExecutionConsole } from '../../functions/handlers/context.ts';

const details = (executionArn: string) => `#/v2/executions/details/${encodeURIComponent(executionArn)}`;

describe('the Step Functions console link of an execution', () => {
  it.each([
    [
      'aws',
      'eu-west-1',
      'arn:aws:states:eu-west-1:123456789012:stateMachine:deploy',
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1',
    ],
    [
      'aws-cn',
      'cn-north-1',
      'arn:aws-cn:states:cn-north-1:123456789012:stateMachine:deploy',
      'https://console.amazonaws.cn/states/home?region=cn-north-1',
    ],
    [
      'aws-us-gov',
      'us-gov-west-1',
      'arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:deploy',
      'https://console.amazonaws-us-gov.com/states/home?region=us-gov-west-1',
    ],
  ])('opens the %s partition’s own console', (_partition, region, stateMachineArn, home) => {
    // Prepare
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:d-1`;

    // Act
    const url = executionConsoleUrl(region, stateMachineArn, 'd-1');

    // Assess
    expect(url).toBe(`${home}${details(executionArn)}`);
    expect(hasExecutionConsole(stateMachineArn)).toBe(true);
  });

  it('offers no link in a partition whose console it does not know, rather than a wrong one', () => {
    // Prepare
    const stateMachineArn = 'arn:aws-iso:states:us-iso-east-1:123456789012:stateMachine:deploy';

    // Act
    const known = hasExecutionConsole(stateMachineArn);

    // Assess
    expect(known).toBe(false);
    expect(() => executionConsoleUrl('us-iso-east-1', stateMachineArn, 'd-1')).toThrow(
      'no known Step Functions console for partition aws-iso',
    );
  });
});
