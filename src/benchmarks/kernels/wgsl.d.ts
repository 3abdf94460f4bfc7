// Written by scripts/embed-wgsl.mjs from src/benchmarks/kernels's .wgsl files: its kernels, each entry point with the
// names of its bindings and uniform fields, as TypeScript sees them without the generated module
// (wgsl.generated.ts, built): engine.dispatch is checked against them. Do not edit: edit the .wgsl file.
import type { KernelSource } from '../../backend/kernel-library.ts';

export declare const wgsl: {
  readonly copy: KernelSource<{
    readonly copy: { readonly bindings: 'input' | 'output'; readonly params: 'count' };
  }>;
  readonly matmul: KernelSource<{
    readonly matmul: { readonly bindings: 'a' | 'b' | 'c'; readonly params: 'k' | 'm' | 'n' };
  }>;
  readonly plainConv: KernelSource<{
    readonly plain_conv: { readonly bindings: 'input' | 'output' | 'weight'; readonly params: 'batch' | 'height' | 'inChannels' | 'width' };
  }>;
  readonly plainMatmul: KernelSource<{
    readonly plain_matmul: { readonly bindings: 'a' | 'b' | 'c'; readonly params: 'k' | 'm' | 'n' };
  }>;
};
