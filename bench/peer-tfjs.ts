// The peer: the same autoencoder in TensorFlow.js layers on its WebGPU backend, trained with
// trainOnBatch (Keras-style: RMSprop lr 1e-3, rho 0.9, epsilon 1e-7, binary cross-entropy),
// on the same WebGPU adapter (Dawn in Node, wgpu in Deno).
import * as tf from '@tensorflow/tfjs';
import { nodeGpu, runtimeName } from '../src/backend/device.ts';

/** TF.js finds WebGPU at navigator.gpu; in Node, Dawn's objects are put there (bench code only). */
async function exposeWebGpuToTensorFlow(): Promise<void> {
  if (runtimeName() !== 'node') return;
  const { globals } = await import('webgpu');
  const gpu = await nodeGpu();
  Object.assign(globalThis, globals);
  if (!(globalThis as { navigator?: unknown }).navigator) (globalThis as { navigator?: unknown }).navigator = {};
  Object.defineProperty((globalThis as unknown as { navigator: object }).navigator, 'gpu', {
    value: gpu,
    configurable: true,
  });
}

function notebookModel(): tf.Sequential {
  const conv = (filters: number, activation: 'relu' | 'sigmoid', inputShape?: number[]) =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation, ...(inputShape ? { inputShape } : {}) });
  const model = tf.sequential({
    layers: [
      conv(8, 'relu', [32, 32, 3]),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      conv(12, 'relu'),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      conv(16, 'relu'),
      tf.layers.upSampling2d({ size: [2, 2] }),
      conv(12, 'relu'),
      tf.layers.upSampling2d({ size: [2, 2] }),
      conv(3, 'sigmoid'),
    ],
  });
  model.compile({ optimizer: tf.train.rmsprop(1e-3, 0.9, 0, 1e-7), loss: 'binaryCrossentropy' });
  return model;
}

/** NCHW -> NHWC (TF.js layers are channels-last). */
function toChannelsLast(nchw: Float32Array, batch: number): Float32Array {
  const nhwc = new Float32Array(nchw.length);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 1024; p++) nhwc[(n * 1024 + p) * 3 + c] = nchw[(n * 3 + c) * 1024 + p]!;
  return nhwc;
}

/** The peer, ready to train: each round() trains for a while and answers its images per second. */
export interface TensorflowPeer {
  round(): Promise<number>;
  close(): void;
  readonly backend: string;
}

/**
 * The notebook model in TF.js, warmed up on `batches` (NCHW float32, each of batchSize
 * images). Each round runs trainOnBatch for about `roundSeconds` (and at least 3 steps), so
 * that the benchmark can alternate its rounds with aelab's, as it alternates aelab's settings.
 */
export async function openTensorflowPeer(
  batches: readonly Float32Array[],
  batchSize: number,
  roundSeconds = 1.2,
): Promise<TensorflowPeer> {
  await exposeWebGpuToTensorFlow();
  // The backend registers itself on import only if navigator.gpu exists by then.
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js could not start its WebGPU backend');
  await tf.ready();
  const model = notebookModel();
  const inputs = batches.map((batch) => tf.tensor4d(toChannelsLast(batch, batchSize), [batchSize, 32, 32, 3]));
  for (let i = 0; i < 3; i++) await model.trainOnBatch(inputs[i % inputs.length]!, inputs[i % inputs.length]!);
  let steps = 0;
  return {
    backend: tf.getBackend(),
    async round() {
      let roundSteps = 0;
      const start = performance.now();
      while (performance.now() - start < roundSeconds * 1000 || roundSteps < 3) {
        const batch = inputs[steps++ % inputs.length]!;
        await model.trainOnBatch(batch, batch);
        roundSteps += 1;
      }
      return (roundSteps * batchSize * 1000) / (performance.now() - start);
    },
    close() {
      inputs.forEach((tensor) => tensor.dispose());
      model.dispose();
    },
  };
}
