/**
 * The ShiftTraffic function: moves traffic to a step's percent, after the drift, alarm and analysis
 * checks. A bundle of its own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { shiftTrafficTask } from './tasks.ts';

export const shiftTrafficHandler = middy(shiftTrafficTask(taskContext));
