/**
 * The TestTraffic function: ECS: the test listener to the idle service. A bundle of its own
 * (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { testTrafficTask } from './tasks.ts';

export const testTrafficHandler = middy(testTrafficTask(taskContext));
