// Builds the web console (broker/console) into broker/console/dist, served under /console/.
// No vite.config file: the whole build is this call, so there is one place to read.
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../console/', import.meta.url));

await build({
  root,
  base: '/console/',
  configFile: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Hashed file names under assets/ are what the server caches as immutable.
    assetsDir: 'assets',
    chunkSizeWarningLimit: 400,
  },
});
