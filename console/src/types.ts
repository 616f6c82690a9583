/**
 * What the console reads: the API's own answers (functions/api/views.ts), as the stream sends them, so
 * a change of the API's shape fails the console's typecheck instead of its page.
 */
import type { AnalysisView, DeploymentDetail, ExecutionView, GroupView } from '../../functions/api/views.ts';
import type { Status, TimelineEntry } from '../../functions/core/deployment.ts';
import type { Release, ReleaseMember } from '../../functions/core/release.ts';

// With its place in the queue while QUEUED (1 = next).
export type { QueuedView as DeploymentView } from '../../functions/api/views.ts';
export type { AnalysisMetric, RunPoint, Verdict } from '../../functions/core/analysis.ts';
export type { Phase, PlannedStep, Progress } from '../../functions/core/progress.ts';
export type { ReleaseStatus } from '../../functions/core/release.ts';
export type { AlarmState, ExecutionEvent, HookProgress } from '../../functions/ports.ts';
export type { AnalysisView, DeploymentDetail, GroupView as GroupSummary, Status, TimelineEntry };

/** GET /deployments/{id}/execution with every page merged: no `nextToken`. */
export type ExecutionHistory = Omit<ExecutionView, 'nextToken'>;

export interface Meta {
  mode: 'local' | 'aws';
  api: string;
  /**
   * The server's clock, when it is not the wall clock (local mode's virtual clock): its time when this
   * was sent, and how many of its seconds pass per real second (0: it moves only in steps).
   */
  clock?: { now: string; speed: number };
}

/**
 * A release as `GET /releases` and `GET /releases/{id}` answer (functions/api/releases.ts). Written out
 * here because that module imports node:crypto, which the page's typecheck has no types for;
 * test/console/release-model.test.ts checks at type level that the two stay the same.
 */
export interface ReleaseMemberView extends ReleaseMember {
  status: Status | 'MISSING';
  percent: number;
  stepIndex: number;
  stepCount: number;
  reason?: string;
  /** When it reached its commit point. */
  readyAt?: string;
  endedAt?: string;
}

export interface ReleaseView extends Omit<Release, 'members' | 'wait'> {
  members: ReleaseMemberView[];
  /** What the release waits for now. */
  waiting?: { phase: 'wave' | 'end'; wave?: number; since: string };
  executionUrl?: string;
}

/** `GET /releases/{id}`. */
export interface ReleaseDetail {
  release: ReleaseView;
  timeline: TimelineEntry[];
}
