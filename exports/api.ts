/**
 * `stepshift/api`: a client for stepshift's HTTP API (local mode, or the stack's API Gateway URL, signed
 * with SigV4 from your AWS credentials), and the types of its answers.
 *
 * @example
 *   const api = createApiClient(process.env.STEPSHIFT_URL ?? 'http://127.0.0.1:4477');
 *   const { deployment } = (await call(api, 'GET', `/deployments/${id}`)) as DeploymentDetail;
 */
export {
  type ApiClient,
  type ApiClientOptions,
  ApiError,
  type ApiRequestInit,
  type ApiResponse,
  ApiUnreachable,
  call,
  createApiClient,
} from '../bin/api-client.ts';
export type { DeploymentView } from '../functions/api/context.ts';
export type { StartRequest } from '../functions/api/start.ts';
export type { AlarmView, DeploymentDetail, ExecutionView, GroupView } from '../functions/api/views.ts';
export type {
  Deployment,
  Routing,
  Status,
  TimelineEntry,
  TimelineKind,
} from '../functions/core/deployment.ts';
