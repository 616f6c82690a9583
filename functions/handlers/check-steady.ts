/**
 * The CheckSteady function: ECS: whether the idle service runs the revision steadily. A bundle of its
 * own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { checkSteadyTask } from './tasks.ts';

export const checkSteadyHandler = middy(checkSteadyTask(taskContext));
