/**
 * What the console reads: the API's own answers (functions/api/views.ts), as the stream sends them, so
 * a change of the API's shape fails the console's typecheck instead of its page.
 */
import type {
  AnalysisView,
  DeploymentDetail,
  ExecutionView,
  GroupView,
  ReleaseMemberView,
  ReleaseView,
} from '../../functions/api/views.ts';
import type { Status, TimelineEntry } from '../../functions/core/deployment.ts';

// With its place in the queue while QUEUED (1 = next).
export type { QueuedView as DeploymentView } from '../../functions/api/views.ts';
export type { AnalysisMetric, RunPoint, Verdict } from '../../functions/core/analysis.ts';
export type { Phase, PlannedStep, Progress } from '../../functions/core/progress.ts';
export type { ReleaseStatus } from '../../functions/core/release.ts';
export type { AlarmState, ExecutionEvent, HookProgress } from '../../functions/ports.ts';
export type {
  AnalysisView,
  DeploymentDetail,
  GroupView as GroupSummary,
  ReleaseMemberView,
  ReleaseView,
  Status,
  TimelineEntry,
};

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

/** `GET /releases/{id}`. */
export interface ReleaseDetail {
  release: ReleaseView;
  timeline: TimelineEntry[];
}
