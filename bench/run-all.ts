import { main as bundles } from './bundles.ts';
import { main as chaos } from './chaos.ts';
import { main as cliStart } from './cli-start.ts';
import { main as idle } from './idle.ts';
import { main as lambda } from './lambda.ts';
import { main as release } from './release.ts';

await lambda();
console.log('');
await bundles();
console.log('');
await idle();
console.log('');
await chaos();
console.log('');
await cliStart();
console.log('');
await release();
