import { describe, expect, it } from 'vitest';
import { canTransition, type Status } from '../../functions/core/deployment.ts';

describe('the status rules', () => {
  it.each([
    ['CREATED', 'IN_PROGRESS', true],
    ['IN_PROGRESS', 'STOPPED', true],
    // A resume carries a deployment stopped without rollback on: the only way back from an end.
    ['STOPPED', 'IN_PROGRESS', true],
    ['STOPPED', 'ROLLING_BACK', true],
    ['FAILED', 'IN_PROGRESS', false],
    ['ROLLED_BACK', 'IN_PROGRESS', false],
    ['SUCCEEDED', 'IN_PROGRESS', false],
    ['STOPPED', 'SUCCEEDED', false],
  ] as [Status, Status, boolean][])('%s → %s: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });
});
