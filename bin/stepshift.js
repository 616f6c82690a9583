#!/usr/bin/env node
// The `stepshift` command. Installed from the package, it runs the compiled CLI (dist/js/, built by
// `npm run build`). In a checkout of the sources (bin/cli.ts beside this file), it runs the TypeScript
// through tsx instead, so that `npx stepshift` always runs what you are editing.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./cli.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./stepshift.ts');
} else {
  await import('../dist/js/stepshift.js');
}
