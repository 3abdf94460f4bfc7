// The GPU kit's first step: which adapter Dawn finds here, printed and written as JSON to the
// file named by its argument (run.sh keeps it in kit.json).
import { writeFileSync } from 'node:fs';
import { createEngine } from '../../src/kernels/registry.ts';
import { runtimeName } from '../../src/backend/device.ts';
import { VERSION } from '../../src/version.ts';

const engine = await createEngine();
const limits = engine.device.limits;
const description = JSON.stringify({
  adapter: engine.adapterDescription,
  runtime: `${runtimeName()} ${process.version}`,
  aelab: VERSION,
  maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
  maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
});
console.log(description);
if (process.argv[2]) writeFileSync(process.argv[2], description + '\n');
engine.device.destroy();
