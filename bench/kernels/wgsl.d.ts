// Written by scripts/embed-wgsl.mjs from bench/kernels's .wgsl files: the names of its kernels, as TypeScript
// sees them without the generated module (wgsl.generated.ts, built). Do not edit: add the .wgsl file.
import type { KernelSource } from '../../src/backend/kernel-library.ts';

export declare const wgsl: {
  readonly copy: KernelSource;
  readonly matmul: KernelSource;
  readonly plainConv: KernelSource;
  readonly plainMatmul: KernelSource;
};
