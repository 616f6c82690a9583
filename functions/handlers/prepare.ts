/**
 * The Prepare function: validates, takes the group lock, records the original routing, plans. A bundle
 * of its own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { prepareTask } from './tasks.ts';

export const prepareHandler = middy(prepareTask(taskContext));
