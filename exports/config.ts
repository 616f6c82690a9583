/**
 * `stepshift/config`: the group config file (`stepshift.config.json`) and deployment configs — parse and
 * validate them as the CLI, the construct and the functions do, and their types.
 */
import type * as z from 'zod/mini';
import type { GroupConfigFileSchema } from '../functions/core/group-config.ts';

export {
  type ComputePlatform,
  type DeploymentConfig,
  type DeploymentConfigInput,
  PREDEFINED_CONFIGS,
  type PredefinedConfig,
  type ResolvedConfig,
  resolveConfig,
} from '../functions/core/configs.ts';
export { type Problem, StepShiftError, ValidationError } from '../functions/core/errors.ts';
export {
  type DeploymentGroup,
  type EcsGroup,
  type EcsHookEvent,
  type GroupConfig,
  groupConfigJsonSchema,
  type HookEvent,
  type HookSpec,
  type LambdaGroup,
  type LambdaHookEvent,
  parseGroupConfig,
  parseGroupConfigText,
} from '../functions/core/group-config.ts';
export { plan, type Schedule, type Step } from '../functions/core/planner.ts';

/** The group config file as written, before validation (what `parseGroupConfig` accepts). */
export type GroupConfigFile = z.input<GroupConfigFileSchema>;
