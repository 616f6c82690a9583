/**
 * Every error stepshift raises on purpose.
 *
 * The `name` of each class is the contract with the state machine: it is exactly what the ASL's
 * `ErrorEquals` matches, on AWS (Lambda reports `errorType` = `name`) and in the local engine, which
 * matches Retry/Catch on `name` as AWS does. Never rename one without changing the ASL.
 */
export class StepShiftError extends Error {
  override name = 'StepShiftError';
  /** HTTP status an API caller sees when this error ends a request. */
  readonly status: number = 500;
  readonly details: unknown;

  constructor(message: string, details?: unknown) {
    super(message);
    this.details = details;
  }
}

/** One problem found in input, with the path of the field it concerns (`groups.api.alarms[0]`). */
export interface Problem {
  path: string;
  message: string;
}

/** Input that breaks a rule: every problem found, each naming its field. Nothing was written. */
export class ValidationError extends StepShiftError {
  override name = 'ValidationError';
  override readonly status = 400;
  readonly problems: Problem[];

  constructor(what: string, problems: Problem[]) {
    super(
      `${what}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems
        .map((p) => `  ${p.path || '(root)'}: ${p.message}`)
        .join('\n')}`,
      { problems },
    );
    this.problems = problems;
  }
}

export class NotFound extends StepShiftError {
  override name = 'NotFound';
  override readonly status = 404;
}

/** The group already has an active deployment. */
export class GroupBusy extends StepShiftError {
  override name = 'GroupBusy';
  override readonly status = 409;
}

/** A request that conflicts with the current state (deploying the live version, stopping a finished deployment…). */
export class Conflict extends StepShiftError {
  override name = 'Conflict';
  override readonly status = 409;
}

/** The routing is not in a state a deployment may start from (not 100 % on one version, a split left behind). */
export class PreflightFailed extends StepShiftError {
  override name = 'PreflightFailed';
  override readonly status = 409;
}

/** The live routing differs from what stepshift last set: someone else changed it. */
export class RoutingDrift extends StepShiftError {
  override name = 'RoutingDrift';
}

export class HookFailed extends StepShiftError {
  override name = 'HookFailed';
}

export class AlarmFired extends StepShiftError {
  override name = 'AlarmFired';
}

export class StopRequested extends StepShiftError {
  override name = 'StopRequested';
}

/** A transient failure of a dependency (throttling, 5xx): the state machine retries these with backoff. */
export class Transient extends StepShiftError {
  override name = 'Transient';
}

/** The revision's tasks did not become steady (ECS): they failed to start, or not in time. */
export class ServiceNotSteady extends StepShiftError {
  override name = 'ServiceNotSteady';
}

/**
 * A canary analysis check failed past its limit (or could not conclude, and its group says to roll
 * back): rolls back as an alarm does (DEPLOYMENT_STOP_ON_ALARM), with the measured values in the reason.
 */
export class AnalysisFailed extends StepShiftError {
  override name = 'AnalysisFailed';
}

/** Someone rejected the deployment at a pause (the reason is the cause): it rolls back. */
export class ApprovalRejected extends StepShiftError {
  override name = 'ApprovalRejected';
}

/** A pause whose `onTimeout` is `rollback` timed out with nobody having approved: it rolls back. */
export class ApprovalTimedOut extends StepShiftError {
  override name = 'ApprovalTimedOut';
}

/**
 * A member of a release will not reach its commit point (it rolled back, failed, was stopped or
 * cancelled): the release rolls back every member that moved traffic.
 */
export class MemberFailed extends StepShiftError {
  override name = 'MemberFailed';
}
