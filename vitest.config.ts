import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first: each waits on processes of its own (npm, tsc, `cdk synth`,
 * Chromium, local mode), so started first they overlap the many short files instead of ending the run
 * alone. Vitest orders by the durations it recorded in earlier runs, when it has them; a fresh clone (CI)
 * has none, and it would order by file size.
 */
const LONGEST_FIRST = [
  'test/package/pack-synth.test.ts',
  'test/browser/console.test.ts',
  'test/infra/synth-cli.test.ts',
  'test/local/lifecycle.test.ts',
  'test/infra/stack.test.ts',
  'test/iam/contract.test.ts',
  'test/events/contract.test.ts',
  'test/events/dead-letters.test.ts',
  'test/infra/shape.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((file) => spec.moduleId.endsWith(file));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep the order vitest gives them.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Vitest's default is one worker fewer than the cores: one, on two. Most long files spend their time
    // waiting on child processes, so a third worker keeps both cores busy.
    maxWorkers: 3,
    // A worker runs file after file in one module graph: aws-cdk-lib, the AWS SDK, CDK's CloudFormation
    // rules and the console's bundle load once a worker instead of once a file. About a third of the
    // suite's CPU time (333 s → 245 s). The files must leave no state behind for the next: tests restore
    // the SDK client stubs they install (test/aws, test/handlers/aws-context.ts).
    isolate: false,
    sequence: { sequencer: LongestFirst },
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
  },
});
