#!/usr/bin/env node
// The built bundle when there is one (npm install builds it); otherwise the TypeScript
// source through tsx, so a checkout works before its first build.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/doorcast.js', import.meta.url);
let main;
if (existsSync(dist)) {
  ({ main } = await import(dist.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
