/**
 * The Install function: ECS: the idle service up on the revision. A bundle of its own (`HANDLER_FILES`
 * in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { installTask } from './tasks.ts';

export const installHandler = middy(installTask(taskContext));
