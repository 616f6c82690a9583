/**
 * The RollBack function: restores the recorded routing. A bundle of its own (`HANDLER_FILES` in
 * infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { rollbackTask } from './tasks.ts';

export const rollbackHandler = middy(rollbackTask(taskContext));
