// What `aelab kernels --show` and the lab's Kernels view print of a compiled pipeline: its
// variant in a line, and its WGSL as compiled with every line marked with where it was written
// (backend/kernel-text.ts).
import { wgsl as kernelWgsl } from '#wgsl/kernels';
import { wgsl as backendWgsl } from '#wgsl/backend';
import type { CompiledVariant, KernelSource } from '../backend/kernel-library.ts';
import { annotatedText } from '../backend/kernel-text.ts';
import type { Engine } from '../backend/engine.ts';
import { AelabError } from '../errors.ts';

/** The project's kernels, to find the one a pipeline was compiled from. */
const KERNELS: readonly KernelSource[] = [...Object.values(kernelWgsl), ...Object.values(backendWgsl)];

/** One variant's specialisation, as a line: 'TILE_X=4 TILE_Y=8 ...' or 'as written'. */
export function describeVariant(variant: CompiledVariant): string {
  const entries = Object.entries(variant.specialization);
  return entries.length === 0 ? 'as written' : entries.map(([key, value]) => `${key}=${value}`).join(' ');
}

/** The marked WGSL of one compiled variant, with a header comment naming it. */
export function showVariant(engine: Engine, variant: CompiledVariant): string {
  const kernel = KERNELS.find((candidate) => candidate.source === variant.baseSource);
  if (!kernel) throw new AelabError(`${variant.label}: not one of the project's kernels`);
  const options = { unrollLoops: engine.kernels.unrollsLoops, subgroups: engine.kernels.subgroups };
  const text = annotatedText(kernel, variant.entryPoint, variant.specialization, options);
  return `// ${variant.label} (${describeVariant(variant)}), as compiled on ${engine.adapterDescription}\n${text}\n`;
}
