// Written by scripts/embed-wgsl.mjs from src/backend's .wgsl files: its kernels, each entry point with the
// names of its bindings and uniform fields, as TypeScript sees them without the generated module
// (wgsl.generated.ts, built): engine.dispatch is checked against them. Do not edit: edit the .wgsl file.
import type { KernelSource } from './kernel-library.ts';

export declare const wgsl: {
  readonly fill: KernelSource<{
    readonly fill: { readonly bindings: 'output'; readonly params: 'count' | 'value' };
  }>;
};
