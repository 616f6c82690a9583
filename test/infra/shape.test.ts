import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type StackShape, stackShape } from './fixtures/shape.ts';
import { synth } from './synth.ts';

// Recorded by fixtures/capture.ts from the stack as it was before infra/ was split into modules.
const recorded = JSON.parse(
  readFileSync(new URL('./fixtures/stack-shape.json', import.meta.url), 'utf8'),
) as StackShape;

let shape: StackShape;
beforeAll(() => {
  const built = synth(undefined, undefined, { cfnValidation: false });
  shape = stackShape(built.stepshift, built.template);
}, 120_000);

describe('the synthesized StepShift stack, against its recorded shape', () => {
  it('has as many resources of every CloudFormation type', () => {
    expect(shape.resourceCounts).toEqual(recorded.resourceCounts);
  });

  it('keeps every logical id, so that a deployed stack updates in place and replaces nothing', () => {
    expect(shape.logicalIds).toEqual(recorded.logicalIds);
    expect(shape.outputs).toEqual(recorded.outputs);
  });

  it('gives every function and the state machine exactly the IAM statements recorded', () => {
    expect(Object.keys(shape.policies)).toEqual(Object.keys(recorded.policies));
    for (const [owner, statements] of Object.entries(recorded.policies)) {
      expect(shape.policies[owner], owner).toEqual(statements);
    }
  });

  it('acknowledges exactly the recorded cdk-nag findings, for the recorded reasons', () => {
    expect(shape.acknowledgements).toEqual(recorded.acknowledgements);
  });
});
