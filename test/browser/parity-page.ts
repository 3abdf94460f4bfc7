// The GPU parity suite in a browser page: the same cases and checks as test/ops.test.ts,
// on the browser's own WebGPU (navigator.gpu). scripts/browser-parity.mjs bundles this,
// serves it on 127.0.0.1 and reads window.parityResult from headless Chromium.
import { createEngine } from '../../src/kernels/registry.ts';
import { runParitySuite, type SuiteReport } from '../../src/checks/suite.ts';

interface ParityReport extends SuiteReport {
  adapter: string;
  error?: string;
}

async function run(): Promise<ParityReport> {
  console.log('parity: acquiring a WebGPU device');
  const engine = await createEngine({ poison: Number.NaN });
  console.log(`parity: ${engine.adapterDescription}`);
  const report = await runParitySuite(engine, (name) => console.log(`parity: ${name}`));
  return { adapter: engine.adapterDescription, ...report };
}

const page = globalThis as unknown as { parityResult?: ParityReport };
run().then(
  (report) => (page.parityResult = report),
  (error) => (page.parityResult = { adapter: 'none', passed: 0, failed: 1, failures: [], rows: [], error: String(error) }),
);
