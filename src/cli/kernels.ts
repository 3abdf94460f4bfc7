// aelab kernels: which kernels a training step runs on this adapter, and the exact WGSL of
// each. It runs one step of the notebook autoencoder (forward, loss, backward, RMSprop update)
// on random images with this adapter's tuned variants, then lists every entry point the step
// compiled; --show prints each one's WGSL as compiled (includes, generated loops,
// specialisation, unrolling, subgroup helper), every line marked with the file and line that
// wrote it (kernels/show.ts).
import process from 'node:process';
import { parseOptions, UsageError } from './arguments.ts';
import { createEngine } from '../kernels/registry.ts';
import type { CompiledVariant } from '../backend/kernel-library.ts';
import { describeVariant, showVariant } from '../kernels/show.ts';
import type { Engine } from '../backend/engine.ts';
import { notebookAutoencoder } from '../experiments/notebook-autoencoder.ts';
import * as F from '../nn/functional.ts';
import { backward } from '../nn/autograd.ts';
import { RMSprop } from '../nn/optimisers.ts';
import { loadTuning } from '../tuning/cache.ts';
import { Random } from '../random.ts';

export const KERNELS_USAGE = `aelab kernels [NAME] [--show] [--batch-size 32]
  lists the kernels one training step of the notebook autoencoder runs on this adapter, each
  entry point with its variant (the specialised constants, tuned or heuristic)
  NAME              only these: an op (conv2d, maxPool2d, rmsprop, ...) or an entry point
                    (conv2d.forward)
  --show            print each one's WGSL exactly as compiled, every line marked with the
                    file and line that wrote it ('// @ FILE:LINE'); it compiles as printed
  --batch-size N    the step's batch size, which the variants are chosen for (default 32)
`;

/** Runs one training step of the notebook autoencoder at `batchSize`, compiling what it dispatches. */
export async function compileTrainingStep(engine: Engine, batchSize: number): Promise<void> {
  loadTuning(engine);
  const model = notebookAutoencoder(engine, 1);
  const optimizer = RMSprop(engine, model.parameters());
  const random = new Random(1);
  engine.scope(() => {
    const images = engine.tensor(random.values(batchSize * 3 * 32 * 32, 0, 1), [batchSize, 3, 32, 32]);
    backward(F.binaryCrossEntropy(model.forward(images), images));
    optimizer.update();
    model.zeroGrad();
  });
  await engine.synchronize();
}

/** The compiled variants whose op or entry point is `name` (all of them without one). */
export function matchingVariants(variants: readonly CompiledVariant[], name: string | null): CompiledVariant[] {
  return variants.filter((variant) => name === null || variant.name === name || variant.label === name);
}

export async function kernels(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  const name = first !== undefined && !first.startsWith('--') ? first : null;
  const options = parseOptions(name === null ? argv : rest, {
    show: { type: 'boolean' },
    batchSize: { type: 'integer', default: 32 },
  });
  if (options.batchSize < 1) throw new UsageError(`--batch-size must be at least 1, got ${options.batchSize}`);
  const engine = await createEngine();
  await compileTrainingStep(engine, options.batchSize);
  const variants = matchingVariants(engine.kernels.compiled, name);
  if (variants.length === 0) {
    const names = [...new Set(engine.kernels.compiled.map((variant) => variant.name))].sort().join(', ');
    throw new UsageError(`the training step runs no kernel '${name}' (it runs: ${names})`);
  }
  for (const variant of variants) {
    process.stdout.write(
      options.show ? showVariant(engine, variant) : `${variant.label}  ${describeVariant(variant)}\n`,
    );
  }
}
