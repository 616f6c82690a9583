/**
 * The AwaitApproval function: stores the token of a pause, which a person ends. A bundle of its own
 * (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { awaitApprovalTask } from './tasks.ts';

export const awaitApprovalHandler = middy(awaitApprovalTask(taskContext));
