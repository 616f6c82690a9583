import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files to start first, in this order; the rest follow in the order vitest gives them (by the
 * durations it recorded in earlier runs, or on a fresh clone, as in CI, by file size).
 *
 * - The two longest, pack-synth (npm, tsc, `cdk synth`) and the browser, each hold a worker for most of
 *   the run: started first, they overlap the many short files instead of ending the run alone.
 * - Then the three stacks synthesized with CDK's CloudFormation validation, while those two hold the other
 *   workers, so that they most likely run one after another in the third: its rules engine takes about
 *   9 s of CPU to start in each worker that runs it, and a worker keeps it for the next file (isolate:
 *   false). The other files that synthesize stacks come next, for aws-cdk-lib already loaded.
 * - Then the other long ones, and short files whose tests wait in real time (local-mode's demo at ×600)
 *   or on a local server: by their size they came last and ended runs alone (the second browser file
 *   for 13 s, local-mode for 10 s).
 */
const LONGEST_FIRST = [
  'test/package/pack-synth.test.ts',
  'test/browser/console.test.ts',
  'test/infra/stack.test.ts',
  'test/infra/notifications.test.ts',
  'test/infra/analysis.test.ts',
  'test/infra/synth-cli.test.ts',
  'test/local/lifecycle.test.ts',
  'test/browser/release.test.ts',
  'test/iam/contract.test.ts',
  'test/events/contract.test.ts',
  'test/events/dead-letters.test.ts',
  'test/infra/shape.test.ts',
  'test/local/local-mode.test.ts',
  'test/workflow/limits.test.ts',
  'test/cli/approval.test.ts',
  'test/local/resume-api.test.ts',
  'test/cli/client.test.ts',
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
