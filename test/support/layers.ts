// The layers of src/, bottom to top, and the check that no value import runs back up:
//   ground (errors, random, shapes, ...) <- tuning <- backend <- kernels <- nn <- checks <- data
//   <- experiments <- cli / lab, with the package entries on top.
// A type-only import may point anywhere (it leaves no code behind: the tape's fields on a
// Tensor are typed by nn/autograd.ts), and data may not import nn at all.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

export const LAYERS: readonly (readonly string[])[] = [
  [
    'src/errors.ts',
    'src/random.ts',
    'src/shapes.ts',
    'src/gpu-constants.ts',
    'src/files.ts',
    'src/version.ts',
    'src/sha256.ts',
  ],
  ['src/tuning/'],
  ['src/backend/'],
  ['src/kernels/'],
  ['src/nn/'],
  ['src/checks/'],
  ['src/data/'],
  ['src/experiments/', 'src/benchmarks/'],
  ['src/cli/', 'src/lab/'],
  ['src/index.ts', 'src/node.ts'],
];

export function layerOf(path: string): number {
  const index = LAYERS.findIndex((members) =>
    members.some((member) => (member.endsWith('/') ? path.startsWith(member) : path === member)),
  );
  if (index < 0) throw new Error(`${path} belongs to no layer: add it to LAYERS (test/support/layers.ts)`);
  return index;
}

/** package.json's subpath imports: the generated kernel modules (scripts/embed-wgsl.mjs). */
const SUBPATH_IMPORTS: Readonly<Record<string, string>> = {
  '#wgsl/backend': 'src/backend/wgsl.generated.ts',
  '#wgsl/kernels': 'src/kernels/wgsl.generated.ts',
  '#wgsl/benchmarks': 'src/benchmarks/kernels/wgsl.generated.ts',
};

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

/** The relative imports and re-exports of one file's text. */
export function importsOf(from: string, text: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const pattern = /^(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*'(\.[^']+|#[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[4] ?? match[5]!;
    const clause = match[3] ?? '';
    // `import { type A, type B } from` leaves nothing behind either.
    const names = clause
      .replace(/^\{|\}$/g, '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const typeOnly =
      match[2] !== undefined ||
      (clause.startsWith('{') && names.length > 0 && names.every((name) => name.startsWith('type ')));
    const to = specifier.startsWith('#') ? SUBPATH_IMPORTS[specifier] : normalize(join(dirname(from), specifier));
    if (!to) throw new Error(`${from}: import '${specifier}' is in no package.json imports entry the layers know`);
    edges.push({ from, to, typeOnly });
  }
  return edges;
}

/** The trees of the repository and which of them each may import from (besides packages). */
export const TREES: Readonly<Record<string, readonly string[]>> = {
  'src/': ['src/'],
  'bench/': ['src/', 'scripts/', 'bench/'],
  'test/': ['src/', 'scripts/', 'test/'],
  'scripts/': ['src/', 'scripts/'],
};

/** Each import from one tree into a tree it may not import from: src/ never imports bench/, test/ or scripts/, nor bench/ and test/ each other. */
export function treeViolations(edges: readonly ImportEdge[]): string[] {
  return edges.flatMap((edge) => {
    const tree = Object.keys(TREES).find((prefix) => edge.from.startsWith(prefix));
    if (!tree) return [];
    return TREES[tree]!.some((allowed) => edge.to.startsWith(allowed))
      ? []
      : [`${edge.from} -> ${edge.to} (${tree} imports only ${TREES[tree]!.join(', ')})`];
  });
}

/** Every file `entry` loads, following its value and type imports (what a bundle of it is built from). */
export function importClosure(root: string, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    if (!path.endsWith('.ts') || path.endsWith('.d.ts') || path.endsWith('.generated.ts')) return;
    for (const edge of importsOf(path, readFileSync(join(root, path), 'utf8'))) visit(edge.to);
  };
  visit(entry);
  return [...seen].sort();
}

/** Each import that breaks the layering, as 'from -> to (why)'. */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  const violations: string[] = [];
  for (const edge of edges) {
    if (!edge.to.startsWith('src/')) continue;
    const from = layerOf(edge.from);
    const to = layerOf(edge.to);
    if (edge.from.startsWith('src/data/') && edge.to.startsWith('src/nn/'))
      violations.push(`${edge.from} -> ${edge.to} (data does not import nn)`);
    else if (to > from && !edge.typeOnly) violations.push(`${edge.from} -> ${edge.to} (an upward value import)`);
  }
  return violations;
}

export function sourceFiles(root: string, folder = 'src'): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, folder))) {
    const path = join(folder, entry);
    if (statSync(join(root, path)).isDirectory()) files.push(...sourceFiles(root, path));
    else files.push(path);
  }
  return files;
}

export function importGraph(root: string, folder = 'src'): ImportEdge[] {
  return sourceFiles(root, folder)
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
    .flatMap((path) => importsOf(relative(root, join(root, path)), readFileSync(join(root, path), 'utf8')));
}
