// GPU memory stays flat over 1,000 training steps: the engine's own counters (live tensors,
// live and pooled buffers and bytes, cached uniform buffers) are the same after step 1,000
// as after step 10.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import { RMSprop } from '../../src/nn/optimisers.ts';
import { notebookAutoencoder } from '../../src/experiments/notebook-autoencoder.ts';
import { Random } from '../../src/random.ts';
import { testEngine } from '../support/engine.ts';
import { GpuMemoryError } from '../../src/errors.ts';

const engine = await testEngine();

describe.skipIf(!engine)('memory', () => {
  it("refuses a tensor over the GPU's largest buffer before allocating it, naming its shape and size, and goes on working", async () => {
    const e = engine!;
    const { maxBufferSize, maxStorageBufferBindingSize } = e.device.limits;
    const rows = Math.ceil(Math.min(maxBufferSize, maxStorageBufferBindingSize) / 32) + 1;
    const before = e.memory().liveBuffers;
    expect(() => e.empty([rows, 8], 'activations')).toThrow(GpuMemoryError);
    expect(() => e.empty([rows, 8], 'activations')).toThrow(
      new RegExp(
        `^tensor activations \\[${rows}, 8\\] needs [\\d.]+ MB, more than this GPU gives one buffer \\([\\d.]+ MB\\)$`,
      ),
    );
    expect(e.memory().liveBuffers).toBe(before);
    expect(Array.from(await e.scope(() => F.scale(e.tensor(new Float32Array([1, 2]), [2]), 3)).read())).toEqual([3, 6]);
  });

  it('is flat over 1,000 training steps', async () => {
    const e = engine!;
    e.poison = null; // the poison fill is a test aid, not part of a training step
    const model = notebookAutoencoder(e, 2);
    const optimizer = RMSprop(e, model.parameters());
    const random = new Random(3);
    const batches = [0, 1, 2].map(() => random.values(2 * 3 * 32 * 32, 0, 1));
    const step = (i: number) =>
      e.scope(() => {
        const input = e.tensor(batches[i % batches.length]!, [2, 3, 32, 32]);
        const loss = F.binaryCrossEntropy(model.forward(input), input);
        backward(loss);
        optimizer.update();
        model.zeroGrad();
      });
    for (let i = 0; i < 10; i++) step(i);
    await e.synchronize();
    const early = e.memory();
    for (let i = 10; i < 1000; i++) {
      step(i);
      if (i % 100 === 0) await e.synchronize();
    }
    await e.synchronize();
    expect(e.memory()).toEqual(early);
    // The counters are live: a leaked tensor shows up in them.
    const leak = e.zeros([16]);
    expect(e.memory().liveTensors).toBe(early.liveTensors + 1);
    leak.dispose();
  }, 120_000);
});
