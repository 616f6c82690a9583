/**
 * Injected into each Lambda bundle (build/lambda.ts): the group config, resolved at synth, as
 * `__STEPSHIFT_GROUPS__`, read from the file the construct stages next to the bundle
 * (`PREBUILT_CONFIG_FILE` in infra/functions.ts) when the bundle loads. bench/bundles.ts builds with
 * esbuild's `define` instead, to weigh the config inside a bundle; functions/handlers/context.ts reads
 * either the same way.
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
