// Node against Deno on the same adapter, in one sitting: bench/runtime-round.ts run under
// each runtime in turn (node, deno, node, deno, ...), each metric's best round per runtime
// kept (on these machines noise only adds time). Reports the engine's matmul against the
// plain ceiling kernel per runtime, training img/s per runtime (and its share of the limit the
// plain direct conv sets, timed beside it) and Deno's share of Node's, and TensorFlow.js under
// each runtime with --peer. Writes bench/results/runtimes.json
// (runtimes-peer.json with --peer).
//   npm run bench:runtimes [-- --rounds 3] [--peer]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const argument = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const rounds = Number(argument('--rounds', '3'));
const peer = process.argv.includes('--peer') ? ['--peer'] : [];
spawnSync(process.execPath, ['scripts/embed-wgsl.mjs'], { stdio: 'inherit' });
const commands = {
  node: [process.execPath, ['scripts/run-ts.mjs', 'bench/runtime-round.ts', ...peer]],
  deno: ['npx', ['deno', 'run', '--unstable-webgpu', '-A', 'bench/runtime-round.ts', ...peer]],
};

const results = { node: [], deno: [] };
for (let round = 1; round <= rounds; round++) {
  for (const runtime of ['node', 'deno']) {
    const [command, args] = commands[runtime];
    const started = Date.now();
    const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const line = run.stdout.split('\n').find((text) => text.startsWith('RESULT '));
    if (run.status !== 0 || !line) {
      console.error(run.stdout, run.stderr);
      throw new Error(`${runtime} round ${round} failed (exit ${run.status})`);
    }
    const result = JSON.parse(line.slice('RESULT '.length));
    results[runtime].push(result);
    const training = result.training
      .map(
        (t) =>
          `batch ${t.batchSize} ${t.imagesPerSecond.toFixed(0)} img/s${t.tensorflowImagesPerSecond ? ` (TF.js ${t.tensorflowImagesPerSecond.toFixed(0)})` : ''}`,
      )
      .join(', ');
    console.error(
      `[round ${round}] ${runtime}: matmul ${result.engineMatmulGflops.toFixed(2)} GFLOP/s, plain ${result.plainMatmulGflops.toFixed(2)} (rolled ${result.plainRolledMatmulGflops.toFixed(2)}); ${training} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}

const best = (runtime, pick) => Math.max(...results[runtime].map(pick));
const summary = {};
for (const runtime of ['node', 'deno']) {
  const matmul = best(runtime, (r) => r.engineMatmulGflops);
  const plain = best(runtime, (r) => r.plainMatmulGflops);
  summary[runtime] = {
    adapter: results[runtime][0].adapter,
    engineMatmulGflops: matmul,
    plainMatmulGflops: plain,
    plainRolledMatmulGflops: best(runtime, (r) => r.plainRolledMatmulGflops),
    engineShareOfPlain: matmul / plain,
    training: [32, 256].map((batchSize) => {
      const of = (r) => r.training.find((t) => t.batchSize === batchSize);
      const imagesPerSecond = best(runtime, (r) => of(r).imagesPerSecond);
      const plainConvGflops = best(runtime, (r) => of(r).plainConvGflops);
      const tensorflow = peer.length ? best(runtime, (r) => of(r).tensorflowImagesPerSecond ?? 0) : null;
      // The best round's training over the best round's plain conv (each round measured both side by side).
      const shareOfLimit = best(runtime, (r) => of(r).shareOfLimit);
      return {
        batchSize,
        imagesPerSecond,
        plainConvGflops,
        shareOfLimit,
        tensorflowImagesPerSecond: tensorflow,
        ratioToTensorflow: tensorflow ? imagesPerSecond / tensorflow : null,
      };
    }),
  };
}
const denoShare = summary.deno.training.map((t, i) => ({
  batchSize: t.batchSize,
  denoShareOfNode: t.imagesPerSecond / summary.node.training[i].imagesPerSecond,
}));
console.log(
  "runtime   engine matmul   plain ceiling (rolled)    share   batch 32 img/s (TF.js; share of the plain conv's limit)   batch 256",
);
for (const runtime of ['node', 'deno']) {
  const s = summary[runtime];
  const cell = (t) =>
    `${t.imagesPerSecond.toFixed(0)}${t.tensorflowImagesPerSecond ? ` (${t.tensorflowImagesPerSecond.toFixed(0)}, ${t.ratioToTensorflow.toFixed(1)}x)` : ''} ${(100 * t.shareOfLimit).toFixed(0)}%`;
  console.log(
    `${runtime.padEnd(7)}   ${s.engineMatmulGflops.toFixed(2).padStart(13)}   ${s.plainMatmulGflops.toFixed(2).padStart(13)} (${s.plainRolledMatmulGflops.toFixed(2)})   ${(100 * s.engineShareOfPlain).toFixed(0).padStart(4)}%   ${cell(s.training[0]).padStart(22)}   ${cell(s.training[1]).padStart(23)}`,
  );
}
console.log(
  `Deno's share of Node's img/s: ${denoShare.map((d) => `batch ${d.batchSize} ${(100 * d.denoShareOfNode).toFixed(0)}%`).join(', ')} (best of ${rounds} alternating rounds each)`,
);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/runtimes${peer.length ? '-peer' : ''}.json`;
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString().slice(0, 10), rounds, summary, denoShare, results }, null, 2) + '\n',
);
console.log(`wrote ${file}`);
