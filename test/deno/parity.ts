// The GPU parity suite under Deno's own WebGPU (wgpu), not Dawn: the same cases and checks
// as test/kernels/ops.test.ts. Run: npm run test:deno (deno run --unstable-webgpu ...).
import { createEngine } from '../../src/kernels/registry.ts';
import { runParitySuite } from '../../src/checks/suite.ts';

const engine = await createEngine({ poison: Number.NaN });
console.log(`adapter: ${engine.adapterDescription}`);
const report = await runParitySuite(engine);
for (const failure of report.failures) console.log(`FAIL ${failure}`);
console.log(`deno parity: ${report.passed} passed, ${report.failed} failed`);
if (report.failed > 0) Deno.exit(1);
