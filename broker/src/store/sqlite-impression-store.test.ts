import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeImpressionStoreContract } from './impression-store.contract.js';
import { SqliteImpressionStore } from './sqlite-impression-store.js';

describeImpressionStoreContract('sqlite (file in a temp dir)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'doorcast-impressions-'));
  return {
    open: async () => new SqliteImpressionStore(join(dir, 'impressions.sqlite')),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
