/**
 * The ApiReleases function, behind API Gateway (infra/api.ts): the routes of releases, several groups
 * deployed as one (functions/api/releases.ts) — start one, list them, read one, stop one. A bundle of
 * its own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { serve } from '../api/http.ts';
import { RELEASE_ROUTES } from '../api/release-routes.ts';
import { makeApiHandler } from './api-gateway.ts';
import { apiContext } from './context.ts';

/** The route tables this function serves: API Gateway sends it these routes, and no others. */
export const ROUTES = [RELEASE_ROUTES];

export const handler = middy(makeApiHandler(apiContext, (ctx, req) => serve(ROUTES, ctx, req)));
