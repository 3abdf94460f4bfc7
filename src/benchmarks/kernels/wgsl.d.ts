// Written by scripts/embed-wgsl.mjs from src/benchmarks/kernels's .wgsl files: the names of its kernels, as TypeScript
// sees them without the generated module (wgsl.generated.ts, built). Do not edit: add the .wgsl file.
import type { KernelSource } from '../../backend/kernel-library.ts';

export declare const wgsl: {
  readonly copy: KernelSource;
  readonly matmul: KernelSource;
  readonly plainConv: KernelSource;
  readonly plainMatmul: KernelSource;
};
