import { main as lambda } from './lambda.ts';

await lambda();
