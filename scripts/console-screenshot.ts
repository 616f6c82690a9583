/**
 * Regenerates docs/console.png: the operator console on a deployment mid-bake, 1280 px wide, from a
 * real local mode in Chromium (installed first where missing, as the browser tests do).
 *
 *   npx tsx scripts/console-screenshot.ts [out.png]
 */
import { fileURLToPath } from 'node:url';
import { screenshotConsole } from '../test/browser/screenshot.ts';

const out = process.argv[2] ?? fileURLToPath(new URL('../docs/console.png', import.meta.url));
await screenshotConsole(out);
console.log(`wrote ${out}`);
