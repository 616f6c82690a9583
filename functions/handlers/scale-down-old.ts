/**
 * The ScaleDownOld function: ECS: after the termination wait, the old service to zero. A bundle of its
 * own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import { taskContext } from './context.ts';
import { scaleDownOldTask } from './tasks.ts';

export const scaleDownOldHandler = middy(scaleDownOldTask(taskContext));
