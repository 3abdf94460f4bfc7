// The notebook's split: pool the training and test images (60,000 for CIFAR-10), take a
// seeded random `sample` fraction of them, and split that 80/10/10 into training,
// validation and test sets (sample 0.1: 4,800 / 600 / 600). The same seed gives the same split.
import { Random, permutation } from '../random.ts';
import { concatenate, DataError, subset, type ImageSet } from './image-set.ts';

export interface Split {
  readonly train: ImageSet;
  readonly validation: ImageSet;
  readonly test: ImageSet;
}

/** The notebook's split: a `sample` share of all images, shuffled by `seed`, 80% training, 10% validation, 10% test. */
export function notebookSplit(sets: readonly ImageSet[], sample: number, seed: number): Split {
  if (!(sample > 0 && sample <= 1)) throw new DataError(`--sample must be in (0, 1], got ${sample}`);
  const pool = concatenate(sets);
  const taken = Math.round(pool.count * sample);
  const trainCount = Math.round(taken * 0.8);
  const validationCount = Math.round(taken * 0.1);
  const testCount = taken - trainCount - validationCount;
  if (trainCount < 1 || validationCount < 1 || testCount < 1) {
    throw new DataError(
      `--sample ${sample} of ${pool.count} images leaves ${trainCount}/${validationCount}/${testCount} for training/validation/test; take a larger sample`,
    );
  }
  const order = permutation(pool.count, new Random(seed));
  return {
    train: subset(pool, order.subarray(0, trainCount)),
    validation: subset(pool, order.subarray(trainCount, trainCount + validationCount)),
    test: subset(pool, order.subarray(trainCount + validationCount, taken)),
  };
}
