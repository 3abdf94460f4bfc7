// Engine mechanics: large dispatch grids, scopes, the pool, batching of submissions.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/nn/functional.ts';
import { backward } from '../../src/nn/autograd.ts';
import { copy, matmul, plainMatmul, referenceMatmul } from '../../src/benchmarks/kernels/matmul.ts';
import { plainConv, referencePlainConv } from '../../src/benchmarks/kernels/plain-conv.ts';
import { Random } from '../../src/random.ts';
import { relativeError, FLOAT32_TOLERANCE } from '../../src/checks/check.ts';
import { testEngine } from '../support/engine.ts';
import { Engine } from '../../src/backend/engine.ts';
import { profileDispatches } from '../../src/tuning/measure.ts';
import { BufferUsage } from '../../src/gpu-constants.ts';
import { wgsl as kernels } from '#wgsl/kernels';

const engine = await testEngine();

describe.skipIf(!engine)('engine', () => {
  const e = engine!;

  it('spreads a 1-D kernel over a 2-D grid beyond 65535 workgroups', async () => {
    // The backward of a sum broadcasts one element per invocation: past 65535 x 64 elements
    // one dimension of 64-wide workgroups is not enough.
    const count = 65535 * 64 + 1000;
    const values = await e.scopeAsync(() => {
      const x = e.full([count], 2.5);
      x.requiresGrad = true;
      backward(F.scale(F.sum(x), 0.5));
      return x.grad!.read();
    });
    expect(values.length).toBe(count);
    expect(values.every((value) => value === 0.5)).toBe(true);
  });

  it('matmul (every tile variant) and copy, the benchmark ceilings, compute what they claim at sizes off their tiles', async () => {
    const random = new Random(8);
    const [m, k, n] = [70, 33, 91];
    const a = random.values(m * k);
    const b = random.values(k * n);
    const expected = referenceMatmul(a, b, m, k, n);
    await e.scopeAsync(async () => {
      const left = e.tensor(a, [m, k]);
      const right = e.tensor(b, [k, n]);
      const [[key, tiles]] = [...e.tuning.collect(() => e.scope(() => void matmul(e, left, right)))];
      expect(tiles!.length).toBeGreaterThan(1);
      for (const tile of tiles!) {
        const product = await e.tuning.forcing(key!, tile, () => matmul(e, left, right).read());
        expect(relativeError(product, expected), JSON.stringify(tile)).toBeLessThan(FLOAT32_TOLERANCE);
      }
      expect(relativeError(await copy(e, left).read(), a)).toBeLessThan(1e-7);
    });
    expect(() => matmul(e, e.zeros([2, 3]), e.zeros([4, 2]))).toThrow(
      /matmul: expected \[m, k\] x \[k, n\], got \[2, 3\] x \[4, 2\]/,
    );
  });

  it("the plain matmul (the runtimes benchmark's ceiling) computes the product, rolled and unrolled", async () => {
    const random = new Random(9);
    const [m, k, n] = [128, 37, 128];
    const a = random.values(m * k);
    const b = random.values(k * n);
    const expected = referenceMatmul(a, b, m, k, n);
    await e.scopeAsync(async () => {
      const [left, right] = [e.tensor(a, [m, k]), e.tensor(b, [k, n])];
      for (const unroll of [false, true])
        expect(
          relativeError(await plainMatmul(e, left, right, unroll).read(), expected),
          `unroll ${unroll}`,
        ).toBeLessThan(FLOAT32_TOLERANCE);
    });
    expect(() => plainMatmul(e, e.zeros([100, 3]), e.zeros([3, 64]), true)).toThrow(
      /plainMatmul: needs m % 128 = 0 and n % 64 = 0/,
    );
  });

  it("the plain direct conv (the conv passes' ceiling) computes the convolution with its padding, rolled and unrolled", async () => {
    const random = new Random(10);
    // Channels that are not the notebook's, an image that is not square, and a width of two
    // pixel blocks, so that both edges and the block boundary are crossed.
    const shape = { batch: 2, height: 5, width: 16, inChannels: 3, outChannels: 5 };
    const input = random.values(2 * 5 * 16 * 3);
    const weight = random.values(9 * 3 * 5);
    const expected = referencePlainConv(input, weight, shape);
    await e.scopeAsync(async () => {
      const [x, w] = [e.tensor(input, [2, 5, 16, 3]), e.tensor(weight, [3, 3, 3, 5])];
      for (const unroll of [false, true])
        expect(
          relativeError(await plainConv(e, x, w, shape, unroll).read(), expected),
          `unroll ${unroll}`,
        ).toBeLessThan(FLOAT32_TOLERANCE);
    });
    expect(() =>
      plainConv(e, e.zeros([1, 4, 12, 3]), e.zeros([3, 3, 3, 5]), { ...shape, batch: 1, height: 4, width: 12 }, true),
    ).toThrow(/plainConv: the width \(12\) must be a multiple of 8/);
  });

  it('sums millions of elements through several partial-sum passes', async () => {
    const count = 3_000_000;
    const total = await e.scopeAsync(() => F.sum(e.full([count], 0.5)).read());
    expect(total[0]).toBeCloseTo(1_500_000, 0);
  });

  it('keeps what a scope returns and disposes the rest', async () => {
    const before = e.memory().liveTensors;
    const result = e.scope(() => {
      const a = e.full([4], 1);
      const b = F.add(a, a);
      return { b };
    });
    expect(e.memory().liveTensors).toBe(before + 1);
    expect(Array.from(await result.b.read())).toEqual([2, 2, 2, 2]);
    result.b.dispose();
    expect(e.memory().liveTensors).toBe(before);
  });

  it('reuses pooled buffers of the same size', () => {
    e.scope(() => e.zeros([1000]));
    const pooled = e.memory().pooledBuffers;
    e.scope(() => e.zeros([1000]));
    expect(e.memory().pooledBuffers).toBe(pooled);
  });

  it('encodes many ops into one submission', async () => {
    const before = e.statistics();
    const value = await e.scopeAsync(async () => {
      let x = e.full([16], 1);
      for (let i = 0; i < 20; i++) x = F.scale(x, 1.5);
      return x.read();
    });
    const after = e.statistics();
    expect(value[0]).toBeCloseTo(1.5 ** 20, 0);
    expect(after.dispatches - before.dispatches).toBeGreaterThanOrEqual(21);
    expect(after.submits - before.submits).toBe(1);
  });

  it('compiles each source text of a kernel as itself, not as the first one seen under its name', async () => {
    const constant = (value: number) =>
      `struct Params { count: u32, value: f32 }\n@group(0) @binding(0) var<storage, read_write> output: array<f32>;\n@group(0) @binding(1) var<uniform> params: Params;\n@compute @workgroup_size(64)\nfn fill(@builtin(global_invocation_id) id: vec3u) {\n  if (id.x < params.count) { output[id.x] = ${value}.0; }\n}\n`;
    const first = e.kernels.entryPoint('fill', constant(1), 'fill');
    const second = e.kernels.entryPoint('fill', constant(2), 'fill');
    expect(second).not.toBe(first);
    expect(e.kernels.entryPoint('fill', constant(1), 'fill')).toBe(first);
  });

  it("refuses to bind a buffer that holds no whole number of a binding's elements", async () => {
    // Elementwise kernels read vec4s (elementwise.ts); a buffer of 5 floats ends inside one.
    const partial = e.device.createBuffer({ size: 20, usage: BufferUsage.STORAGE });
    await e.scopeAsync(async () => {
      const output = e.empty([5]);
      expect(() =>
        e.dispatch(kernels.relu, 'forward', {
          bindings: { input: partial, output },
          params: { count: 5 },
          invocations: 1,
        }),
      ).toThrow(/relu\.forward: 'input' reads 16-byte elements, but its buffer has 20 bytes/);
      // The engine's own tensors are sized in whole 16-byte steps: 5 floats take 32 bytes.
      const input = e.tensor([-2, -1, 0, 1, 2], [5]);
      expect(input.buffer.size).toBe(32);
      expect(Array.from(await F.relu(input).read())).toEqual([0, 0, 0, 1, 2]);
    });
    partial.destroy();
  });

  it('binds, reads and writes a view at its offset, and frees the buffer with the last tensor on it', async () => {
    const before = e.memory();
    const step = e.viewAlignment / 4;
    const base = e.tensor(
      Array.from({ length: 3 * step }, (_, i) => i),
      [3 * step],
    );
    const view = e.view(base, step, [5], 'middle');
    const counting = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
    expect(Array.from(await view.read())).toEqual(counting(step, 5));
    expect(Array.from(await e.scopeAsync(() => F.scale(view, 2).read()))).toEqual(
      counting(step, 5).map((value) => 2 * value),
    );
    // A kernel bound to the view writes its elements and their last quad's padding, nothing else.
    e.fillBuffer(view, -1);
    const all = Array.from(await base.read());
    expect(all.slice(0, step)).toEqual(counting(0, step));
    expect(all.slice(step, step + 8)).toEqual(Array(8).fill(-1));
    expect(all.slice(step + 8)).toEqual(counting(step + 8, 2 * step - 8));
    e.write(view, [9, 8, 7, 6, 5]);
    expect(Array.from(await view.read())).toEqual([9, 8, 7, 6, 5]);
    if (step > 1) expect(() => e.view(base, 1, [1])).toThrow(/not a multiple of/);
    expect(() => e.view(base, 2 * step, [step + 1])).toThrow(/runs past the end/);
    // The view keeps the buffer alive after its base is disposed.
    base.dispose();
    expect(e.memory().liveBuffers).toBe(before.liveBuffers + 1);
    expect(Array.from(await view.read())).toEqual([9, 8, 7, 6, 5]);
    view.dispose();
    expect(e.memory()).toMatchObject({
      liveBuffers: before.liveBuffers,
      liveBytes: before.liveBytes,
      liveTensors: before.liveTensors,
    });
  });

  it('records each entry point per shape in profile mode, and times each on its own', async () => {
    const profiling = await Engine.create(e.device, { profile: true });
    await profiling.scopeAsync(async () => {
      // Sizes whose rows are no whole number of quads: the pool's general kernels (max-pool2d.ts).
      for (const size of [6, 3, 6]) F.maxPool2d(profiling.full([1, 2, size, size], 1), { poolSize: 2 });
      const recorded = profiling.recordedDispatches();
      const pools = recorded.filter((entry) => entry.label === 'maxPool2d.forward');
      expect(pools.map((entry) => entry.dispatches)).toEqual([2, 1]);
      expect(pools[0]!.shape).toMatch(/\binHeight=6\b.*\| POOL_SIZE=2 STRIDE=2 \| 1x1x1 workgroups of 64x1x1$/);
      expect(pools[1]!.shape).toMatch(/\binHeight=3\b/);
      expect(profiling.recordedDispatches()).toEqual([]);
      // A recorded dispatch runs again when encoded: the pool of a fresh input, replayed.
      const x = profiling.tensor([1, 5, 3, 2, 7, 0, 4, 9], [1, 2, 2, 2]);
      const y = F.maxPool2d(x, { poolSize: 2 });
      const [replay] = profiling.recordedDispatches().filter((entry) => entry.label === 'maxPool2d.forward');
      profiling.fillBuffer(y, 0);
      replay!.encode();
      expect(Array.from(await y.read())).toEqual([5, 9]);
      const [profile] = await profileDispatches(profiling, [replay!], { targetSampleMilliseconds: 5, samples: 1 });
      expect(profile!.label).toBe('maxPool2d.forward');
      expect(profile!.milliseconds).toBeGreaterThan(0);
    });
  });
});
