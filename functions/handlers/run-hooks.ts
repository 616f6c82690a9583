/**
 * The RunHooks function: invokes the lifecycle hooks of one event; the one task with the hook runner. A
 * bundle of its own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { lambdaHooks, taskContext } from './context.ts';
import { runHooksTask } from './tasks.ts';

export const runHooksHandler = middy(runHooksTask(() => taskContext(lambdaHooks)));
