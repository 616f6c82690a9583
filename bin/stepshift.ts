#!/usr/bin/env node
import { endQuietlyOnClosedPipe, main } from './cli.ts';

endQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
