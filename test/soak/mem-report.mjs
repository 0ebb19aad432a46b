// Preloaded (node --import) into the processes under soak: writes process.memoryUsage() to
// $SOAK_MEM_FILE every second, so the soak reads heap figures the product does not expose.
import { renameSync, writeFileSync } from 'node:fs';

const file = process.env.SOAK_MEM_FILE;
if (file) {
  const timer = setInterval(() => {
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
      renameSync(`${file}.tmp`, file);
    } catch {
      // A full or vanished temp dir: the soak reports a missing sample.
    }
  }, 1000);
  timer.unref();
}
