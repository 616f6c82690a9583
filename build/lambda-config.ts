/**
 * Injected into each prebuilt Lambda bundle (build/lambda.ts): the group config, resolved at synth, as
 * `__STEPSHIFT_GROUPS__`, read from the file the construct stages next to the bundle
 * (`PREBUILT_CONFIG_FILE` in infra/functions.ts) when the bundle loads. A bundle built from the sources
 * gets the same value from esbuild's `define` instead; functions/handlers/context.ts reads either the
 * same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let text: string | undefined;
try {
  text = readFileSync(join(__dirname, 'stepshift.groups.json'), 'utf8');
} catch (e) {
  // No file: the functions fall back to STEPSHIFT_GROUPS and say that it is missing.
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}

export { text as __STEPSHIFT_GROUPS__ };
