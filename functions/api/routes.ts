/**
 * Every route of the API, as the local server serves them all. On AWS each API function serves some of
 * the tables (functions/handlers/api.ts, api-start.ts), and API Gateway sends each method to the one that
 * serves it (infra/api.ts).
 */
import type { ApiContext } from './context.ts';
import { CONTROL_ROUTES } from './control-routes.ts';
import { type HttpRequest, type HttpResponse, type Routes, serve } from './http.ts';
import { READ_ROUTES } from './read-routes.ts';
import { RELEASE_ROUTES } from './release-routes.ts';
import { START_ROUTES } from './start-routes.ts';

/** Every route table. */
export const ROUTE_TABLES: readonly Routes[] = [READ_ROUTES, START_ROUTES, CONTROL_ROUTES, RELEASE_ROUTES];

/** Answers `req` from every route of the API. */
export function route(ctx: ApiContext, req: HttpRequest): Promise<HttpResponse> {
  return serve(ROUTE_TABLES, ctx, req);
}
