/**
 * The Analyze function: the analysis ticker: every minute, the checks due in bakes (infra/analysis.ts).
 * A bundle of its own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { analyzeBakesTask } from './tasks.ts';

export const analyzeBakesHandler = middy(analyzeBakesTask(taskContext));
