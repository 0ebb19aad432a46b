#!/usr/bin/env -S node --import tsx
// doorcast-broker --config <file>: see broker/src/cli/main.ts.
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
