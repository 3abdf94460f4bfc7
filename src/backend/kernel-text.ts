// The text a kernel's entry point is compiled from, and the same text with every line marked
// with where it was written. One WGSL source serves every variant of a kernel; what compiles is
// that source with its tile constants specialised (specialize), its constant-count loops
// unrolled where the engine unrolls them (tuning/unroll.ts) and, if it shuffles, the subgroup
// helper defined (tuning/subgroups.ts). `aelab kernels NAME --show` and the lab's Kernels view
// print the marked text: each line ends in `// @ FILE:LINE`, so a reader sees which file wrote
// it, and the text still compiles as printed.
import { AelabError } from '../errors.ts';
import { unrollConstantLoops } from '../tuning/unroll.ts';
import { withSubgroupHelpers, type SubgroupSupport } from '../tuning/subgroups.ts';
import type { KernelSource } from './kernel-library.ts';

/** Where line `line` (1-based) of an assembled source was written: 'src/kernels/conv2d/forward.wgsl:12'. */
export function sourceLocation(kernel: KernelSource, line: number): string {
  let first = 1;
  for (const part of kernel.parts) {
    if (line < first + part.lines) return `${part.path}:${part.line + line - first}`;
    first += part.lines;
  }
  return `${kernel.name} (generated loop frame, scripts/embed-wgsl.mjs), line ${line}`;
}

/**
 * Specialisation: values for a kernel's `const NAME: u32 = ...u;` declarations. WGSL only
 * allows constant (not override) sizes for function-scope arrays, so register tile sizes
 * are specialised this way: one WGSL source, one variant per tile shape, each cached by
 * its resulting source text.
 */
export type Specialization = Readonly<Record<string, number>>;

export function specialize(name: string, source: string, specialization: Specialization): string {
  let result = source;
  for (const [constant, value] of Object.entries(specialization)) {
    if (!Number.isInteger(value) || value < 0)
      throw new AelabError(`kernel '${name}': specialisation ${constant} = ${value} must be a non-negative integer`);
    const pattern = new RegExp(`const ${constant}: u32 = \\d+u;`);
    if (!pattern.test(result))
      throw new AelabError(`kernel '${name}' has no 'const ${constant}: u32 = ...u;' to specialise`);
    result = result.replace(pattern, `const ${constant}: u32 = ${value}u;`);
  }
  return result;
}

export interface TextOptions {
  readonly unrollLoops: boolean;
  readonly subgroups: SubgroupSupport | null;
}

/** SUBGROUP_SHUFFLES = 1 needs usable subgroups, and brings their size as SUBGROUP_SIZE. */
export function withSubgroupSize(
  label: string,
  specialization: Specialization,
  subgroups: SubgroupSupport | null,
): Specialization {
  if (specialization['SUBGROUP_SHUFFLES'] !== 1) return specialization;
  if (!subgroups) {
    throw new AelabError(
      `kernel '${label}': SUBGROUP_SHUFFLES = 1 needs subgroups, and this device has none the kernels can use`,
    );
  }
  return { ...specialization, SUBGROUP_SIZE: subgroups.size };
}

/**
 * The text reflected for entry point `entryPoint`: specialised (a kernel that shuffles also
 * gets its SUBGROUP_SIZE, the device's), then, where the engine unrolls or the variant asks
 * for it (UNROLL_LOOPS = 1), its constant-count loops unrolled.
 */
export function preparedText(
  name: string,
  source: string,
  entryPoint: string,
  specialization: Specialization,
  options: TextOptions,
): string {
  const specialized =
    Object.keys(specialization).length > 0
      ? specialize(name, source, withSubgroupSize(`${name}.${entryPoint}`, specialization, options.subgroups))
      : source;
  return options.unrollLoops || specialization['UNROLL_LOOPS'] === 1
    ? unrollConstantLoops(name, specialized)
    : specialized;
}

/** The text compiled: the prepared text with the subgroup helper defined where it is called. */
export function compiledText(prepared: string, subgroups: SubgroupSupport | null): string {
  return withSubgroupHelpers(prepared, subgroups);
}

const MARK = ' // @ ';
const HELPER = 'src/tuning/subgroups.ts (withSubgroupHelpers)';

/**
 * The text `kernel`'s entry point compiles to with `specialization`, each line ending in
 * `// @ FILE:LINE` (or the embedding step's loop frame, or the subgroup helper): what
 * compiledText gives, with comments added and nothing else changed.
 */
export function annotatedText(
  kernel: KernelSource,
  entryPoint: string,
  specialization: Specialization,
  options: TextOptions,
): string {
  const marked = kernel.source
    .split('\n')
    .map((line, i) => (line.trim() === '' ? line : `${line}${MARK}${sourceLocation(kernel, i + 1)}`))
    .join('\n');
  const compiled = compiledText(
    preparedText(kernel.name, marked, entryPoint, specialization, options),
    options.subgroups,
  );
  return compiled
    .split('\n')
    .map((line) => (line.trim() === '' || line.includes(MARK) ? line : `${line}${MARK}${HELPER}`))
    .join('\n');
}

/** The text without the marks annotatedText added. */
export function withoutAnnotations(text: string): string {
  return text.replace(/ \/\/ @ [^\n]*/g, '');
}
