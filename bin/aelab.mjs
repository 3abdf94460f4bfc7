#!/usr/bin/env node
// The aelab command, run from the TypeScript sources (bundled on the fly by esbuild).
import { fileURLToPath } from 'node:url';

process.argv.splice(2, 0, fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
await import('../scripts/run-ts.mjs');
