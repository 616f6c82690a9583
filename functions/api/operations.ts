/**
 * The application API: every operation, each from its own module — starting (./start.ts), going on after
 * a bad end (./resume.ts), the queue (./queue.ts), controlling a deployment (./control.ts), and the
 * read-only views an operator watches (./views.ts). Over ports, served by the local HTTP server and by
 * the API Gateway handlers alike.
 *
 * The Lambda handlers import each operation from its own module, not from here: a module that builds
 * its request schemas when it loads is kept whole in every bundle that imports anything of it, and this
 * one loads them all (issue 12: small bundles).
 */
export type { ApiContext, DeploymentView } from './context.ts';
export {
  alarmStateChanged,
  approveDeployment,
  cancelDeployment,
  cancelRequestSchema,
  promoteDeployment,
  rejectDeployment,
  rejectRequestSchema,
  rollbackDeployment,
  stopDeployment,
  stopRequestSchema,
} from './control.ts';
export { againRequestSchema, redeployGroup, resumeDeployment, retryDeployment } from './resume.ts';
export { IDEMPOTENCY_TTL_SECONDS, type StartRequest, startDeployment, startRequestSchema } from './start.ts';
export {
  type AlarmView,
  type DeploymentDetail,
  type ExecutionView,
  type GroupView,
  getDeployment,
  getExecution,
  listDeployments,
  listGroups,
  listQuerySchema,
} from './views.ts';
