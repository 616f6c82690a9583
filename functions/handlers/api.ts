/**
 * The Api function, behind API Gateway (infra/api.ts): the routes that read (the deployments, one
 * deployment, its execution, the groups) and those that act on a deployment under way or ended (stop,
 * cancel, promote, approve, reject, roll back). The routes that start an execution are api-start.ts's,
 * the releases' api-releases.ts's: each carries its own routes' code alone. A bundle of its own
 * (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { CONTROL_ROUTES } from '../api/control-routes.ts';
import { serve } from '../api/http.ts';
import { READ_ROUTES } from '../api/read-routes.ts';
import { makeApiHandler } from './api-gateway.ts';
import { apiContext, executionHistory } from './context.ts';

/** The route tables this function serves: API Gateway sends it these routes, and no others. */
export const ROUTES = [READ_ROUTES, CONTROL_ROUTES];

export const handler = middy(
  makeApiHandler(
    () => apiContext(executionHistory),
    (ctx, req) => serve(ROUTES, ctx, req),
  ),
);
