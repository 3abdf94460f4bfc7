// Bundles the command line once for the tests that run it as a real process (the kill-and-
// resume test, the CLI tests), so parallel test files never race on one output file.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';

export const CLI_BUNDLE = '.cache/test/aelab.mjs';

export default async function setup(): Promise<void> {
  execFileSync(process.execPath, ['scripts/embed-wgsl.mjs']);
  await build({
    entryPoints: ['src/cli/main.ts'],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}
