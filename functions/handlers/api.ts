/**
 * The Api function: every route of the HTTP API, behind API Gateway (infra/api.ts). A bundle of its own
 * (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { route } from '../api/routes.ts';
import { makeApiHandler } from './api-gateway.ts';
import { apiContext, executionHistory } from './context.ts';

export const handler = middy(makeApiHandler(() => apiContext(executionHistory), route));
