/**
 * `stepshift/cdk`: the StepShift construct, for your own CDK app.
 *
 * @example
 *   const configText = readFileSync('stepshift.config.json', 'utf8');
 *   new StepShift(stack, 'StepShift', { config: parseGroupConfigText(configText), configText });
 */
export type { FnName, StepShiftFunctions, TaskName } from '../infra/functions.ts';
export { METRICS_NAMESPACE, StepShift, type StepShiftProps } from '../infra/stepshift.ts';
