import { main as bundles } from './bundles.ts';
import { main as lambda } from './lambda.ts';

await lambda();
console.log('');
await bundles();
