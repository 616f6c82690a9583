/**
 * The Bake function: stores the bake's task token (`lambda:invoke.waitForTaskToken`). A bundle of its
 * own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { bakeTask } from './tasks.ts';

export const bakeHandler = middy(bakeTask(taskContext));
