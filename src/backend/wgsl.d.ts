// Written by scripts/embed-wgsl.mjs from src/backend's .wgsl files: the names of its kernels, as TypeScript
// sees them without the generated module (wgsl.generated.ts, built). Do not edit: add the .wgsl file.
import type { KernelSource } from './kernel-library.ts';

export declare const wgsl: {
  readonly fill: KernelSource;
};
