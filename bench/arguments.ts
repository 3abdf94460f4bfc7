// A benchmark's command line: the batch sizes it measures (`--batches 32,256,1024`, else its own)
// and `--quick`.
export function batchSizesArgument(fallback: readonly number[]): number[] {
  const index = process.argv.indexOf('--batches');
  if (index < 0) return [...fallback];
  const sizes = (process.argv[index + 1] ?? '').split(',').map(Number);
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    console.error(`--batches ${process.argv[index + 1] ?? ''}: expected batch sizes such as 32,256,1024`);
    process.exit(2);
  }
  return sizes;
}

/**
 * `--quick`: the same measurements, smaller (no tuning, one round, a 256^3 matmul), to show a
 * benchmark runs where its figures do not matter (the GPU kit's test on a CPU's Vulkan).
 */
export const quick: boolean = process.argv.includes('--quick');
