// Builds what tests spawn as processes or serve, so they always run the current code: the
// agent CLI bundle and the broker's web console.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  for (const script of ['../../agent/scripts/build.mjs', '../../broker/scripts/build-console.mjs']) {
    execFileSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: 'inherit' });
  }
}
