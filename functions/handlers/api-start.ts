/**
 * The ApiStart function, behind API Gateway (infra/api.ts): the routes that start an execution — a new
 * deployment (of the body's group or of the path's), a redeploy, a retry, a resume. The heaviest of the
 * API's code (the start request's schemas, the preflight, the queue) runs here alone. A bundle of its
 * own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { serve } from '../api/http.ts';
import { START_ROUTES } from '../api/start-routes.ts';
import { makeApiHandler } from './api-gateway.ts';
import { apiContext } from './context.ts';

/** The route tables this function serves: API Gateway sends it these routes, and no others. */
export const ROUTES = [START_ROUTES];

export const handler = middy(makeApiHandler(apiContext, (ctx, req) => serve(ROUTES, ctx, req)));
