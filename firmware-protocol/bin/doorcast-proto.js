#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, resolved from this package wherever it is invoked.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/proto.ts');
