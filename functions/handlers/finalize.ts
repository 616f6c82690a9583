/**
 * The Finalize function: all traffic on the revision: the lock released, SUCCEEDED. A bundle of its own
 * (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { finalizeTask } from './tasks.ts';

export const finalizeHandler = middy(finalizeTask(taskContext));
