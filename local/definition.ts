/**
 * The workflow file as local mode runs it: statemachines/deployment.asl.json with local substitutions,
 * and the few states whose timing the local engine cannot keep on the virtual clock itself.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXECUTION_TIMEOUT_SECONDS } from '../functions/core/limits.ts';
import {
  PARTITION_SUBSTITUTION,
  RELEASE_SUBSTITUTION,
  STATE,
  SUBSTITUTIONS,
} from '../functions/core/states.ts';

/** Wait states that take no time locally: the task after each one waits on the virtual clock instead. */
export const LOCAL_WAITS = [
  STATE.BeforeInstallWait,
  STATE.AfterInstallWait,
  STATE.AfterAllowTestTrafficWait,
  STATE.BeforeAllowTrafficWait,
  STATE.AfterAllowTrafficWait,
  STATE.WaitForSteady,
];

export const DEFINITION_PATH = fileURLToPath(
  new URL('../statemachines/deployment.asl.json', import.meta.url),
);
export const RELEASE_DEFINITION_PATH = fileURLToPath(
  new URL('../statemachines/release.asl.json', import.meta.url),
);
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** The definition with local substitutions: each task's ARN names a local function. */
export function localDefinition(text = readFileSync(DEFINITION_PATH, 'utf8')): Record<string, unknown> {
  let out = text;
  for (const name of SUBSTITUTIONS) {
    const fn = `stepshift-${name.replace(/FunctionArn$/, '')}`;
    out = out.replaceAll(`\${${name}}`, `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${fn}`);
  }
  out = out.replaceAll(`\${${PARTITION_SUBSTITUTION}}`, 'aws');
  const definition = JSON.parse(out) as { States: Record<string, Record<string, unknown>> };
  // The engine reads TimeoutSecondsPath from the Parameters output where AWS reads the state input, and
  // the local bake handler keeps the bake time itself: the callback states only get a ceiling.
  for (const name of [
    STATE.Bake,
    STATE.FinalBake,
    STATE.TerminationWait,
    STATE.AwaitApproval,
    STATE.AwaitRelease,
  ]) {
    const state = definition.States[name];
    if (!state) continue;
    delete state.TimeoutSecondsPath;
    state.TimeoutSeconds =
      name === STATE.AwaitApproval || name === STATE.AwaitRelease
        ? EXECUTION_TIMEOUT_SECONDS + 60
        : 2 * 24 * 3600 + 60;
  }
  return definition as Record<string, unknown>;
}

/** statemachines/release.asl.json with local substitutions: its one function is local too. */
export function localReleaseDefinition(
  text = readFileSync(RELEASE_DEFINITION_PATH, 'utf8'),
): Record<string, unknown> {
  const out = text
    .replaceAll(
      `\${${RELEASE_SUBSTITUTION}}`,
      `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:stepshift-Release`,
    )
    .replaceAll(`\${${PARTITION_SUBSTITUTION}}`, 'aws');
  const definition = JSON.parse(out) as Record<string, unknown>;
  // Real time here, and Node's timers hold at most 2^31 - 1 ms (24.8 days): a year would fire at once.
  definition.TimeoutSeconds = LOCAL_RELEASE_TIMEOUT_SECONDS;
  return definition;
}

/** The release execution's limit locally: the longest a Node timer holds, in whole seconds. */
const LOCAL_RELEASE_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
