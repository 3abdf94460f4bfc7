// Assembles the .wgsl files into TypeScript modules, so that the same kernel sources load in
// Node (bundled by esbuild), Deno and the browser without a loader plugin. The .wgsl files
// stay the one place each kernel is written; this only joins them:
//   - `// #include PATH` (a line of its own) is replaced by that file (a prelude shared by the
//     passes of an op, or by every elementwise kernel). Files named *prelude.wgsl are only
//     included, never kernels of their own.
//   - `// #each-quad` above `fn NAME(index: u32) {` makes NAME the body of an entry point NAME
//     that runs it for each of its QUADS quads inside the tensor (the loop frame below).
//   - `// #sum-quads INTO` above `fn NAME(index: u32) -> vec4f {` makes an entry point NAME
//     that adds up what it returns for its quads, masking the last quad's padding, into
//     INTO[invocation] (the losses and binary accuracy, which sum.wgsl then reduces).
// Each module maps every line of a kernel back to its file, so a compile error names the
// file and line as written (KernelLibrary.check). The declarations beside it (wgsl.d.ts) give
// each kernel's entry points with the names of their bindings and uniform fields, reflected
// from the assembled WGSL, so the type checker refuses a dispatch that misnames one.
//   node scripts/embed-wgsl.mjs
import { readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname, relative, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The folders whose kernels become one module each, and where each module imports the KernelSource type from. */
// Each module is imported as its package.json subpath import (#wgsl/backend, ...): TypeScript
// takes the committed declaration (wgsl.d.ts, the kernels' names; written here too), bundlers,
// Deno and vitest the generated module, which is built, never committed. So a fresh clone
// type-checks before anything is generated.
const modules = [
  { folder: 'src/backend', types: './kernel-library.ts' },
  { folder: 'src/kernels', types: '../backend/kernel-library.ts' },
  { folder: 'src/benchmarks/kernels', types: '../../backend/kernel-library.ts' },
];

// The loop frames the markers stand for. Elementwise kernels take QUADS vec4s (8 elements)
// per invocation: quad, quad + invocations, ... (src/backend/elementwise.ts says why, and
// where the last quad's padding goes).
const eachQuadFrame = (name) => `
@compute @workgroup_size(64)
fn ${name}(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * invocations;
    if (index < (params.count + 3u) / 4u) {
      ${name}_quad(index);
    }
  }
}
`;
// Summing frames stride by params.invocations, the count the host sized INTO for, not by the
// launched grid (rounded up to whole workgroups).
const sumQuadsFrame = (name, into) => `
@compute @workgroup_size(64)
fn ${name}(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  if (invocation >= params.invocations) {
    return;
  }
  var total = 0.0;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * params.invocations;
    if (index < (params.count + 3u) / 4u) {
      total += sumBeforeCount(${name}_quad(index), index);
    }
  }
  ${into}[invocation] = total;
}
`;

/** A file's text with its includes expanded, and where each line came from: [{ path, line, lines }]. */
function expand(path, seen = new Set()) {
  if (seen.has(path)) throw new Error(`${relative(root, path)}: included twice (or in a cycle)`);
  seen.add(path);
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const text = [];
  const parts = [];
  let runStart = 0;
  const flush = (end) => {
    if (end > runStart) parts.push({ path: relative(root, path), line: runStart + 1, lines: end - runStart });
  };
  lines.forEach((line, i) => {
    const include = line.match(/^\/\/ #include (\S+)\s*$/);
    if (!include) {
      text.push(line);
      return;
    }
    flush(i);
    const included = expand(join(dirname(path), include[1]), seen);
    text.push(...included.text);
    parts.push(...included.parts);
    runStart = i + 1;
  });
  flush(lines.length);
  return { text, parts };
}

/** Replaces each marked function by NAME_quad and appends the entry point that loops over it. */
function generateFrames(text, file) {
  const frames = [];
  const out = text.map((line, i) => {
    const marker = line.match(/^\/\/ #(each-quad|sum-quads)(?: (\w+))?\s*$/);
    if (!marker) return line;
    const next = text[i + 1] ?? '';
    const fn = next.match(/^fn (\w+)\(index: u32\)/);
    if (!fn) throw new Error(`${file}: '// #${marker[1]}' must stand above 'fn NAME(index: u32)'`);
    if (marker[1] === 'sum-quads' && !marker[2])
      throw new Error(`${file}: '// #sum-quads' needs the buffer to write into`);
    frames.push(marker[1] === 'each-quad' ? eachQuadFrame(fn[1]) : sumQuadsFrame(fn[1], marker[2]));
    text[i + 1] = next.replace(`fn ${fn[1]}(`, `fn ${fn[1]}_quad(`);
    return line;
  });
  return { text: out, generated: frames.join('') };
}

function writeIfChanged(path, text) {
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
}

/**
 * A kernel's entry points as a TypeScript type: each one's storage bindings and uniform fields
 * by name, as the engine binds them (kernel-library.ts reflects the same at run time).
 */
function entryPointsType(source, file) {
  let reflection;
  try {
    reflection = new WgslReflect(source);
  } catch (error) {
    throw new Error(`${file}: wgsl_reflect could not parse it: ${error.message}`);
  }
  const union = (names) =>
    names.length
      ? [...new Set(names)]
          .sort()
          .map((n) => `'${n}'`)
          .join(' | ')
      : 'never';
  const entries = reflection.entry.compute.map((entry) => {
    const storage = entry.resources.filter((r) => r.resourceType === ResourceType.Storage).map((r) => r.name);
    const uniform = entry.resources.find((r) => r.resourceType === ResourceType.Uniform);
    const fields = (uniform?.type.members ?? []).map((member) => member.name);
    return `    readonly ${entry.name}: { readonly bindings: ${union(storage)}; readonly params: ${union(fields)} };`;
  });
  return `KernelSource<{
${entries.join('\n')}
  }>`;
}

const toKey = (name) => name.replace(/[-/]([a-z0-9])/g, (_, c) => c.toUpperCase());

function kernelFiles(folder) {
  const found = [];
  for (const entry of readdirSync(folder).sort()) {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) {
      for (const inner of readdirSync(path).sort())
        if (inner.endsWith('.wgsl'))
          found.push({ path: join(path, inner), op: entry, pass: inner.replace(/\.wgsl$/, '') });
    } else if (entry.endsWith('.wgsl')) {
      found.push({ path, op: entry.replace(/\.wgsl$/, ''), pass: null });
    }
  }
  return found.filter(({ path }) => !basename(path).endsWith('prelude.wgsl'));
}

for (const { folder, types } of modules) {
  const directory = join(root, folder);
  if (!existsSync(directory)) continue;
  const entries = kernelFiles(directory).map(({ path, op, pass }) => {
    const { text, parts } = expand(path);
    const { text: body, generated } = generateFrames(text, relative(root, path));
    const source = body.join('\n') + '\n' + generated;
    const key = toKey(pass ? `${op}-${pass}` : op);
    // Kernels of one op share its name (the labels in profiles and errors: conv2d.forward).
    return {
      key,
      type: entryPointsType(source, relative(root, path)),
      line: `  ${key}: { name: ${JSON.stringify(toKey(op))}, source: ${JSON.stringify(source)}, parts: ${JSON.stringify(parts)} },`,
    };
  });
  const text = [
    `// Generated by scripts/embed-wgsl.mjs from ${folder}'s .wgsl files. Do not edit: edit the .wgsl file.`,
    `import type { KernelSource } from '${types}';`,
    '',
    'export const wgsl = {',
    ...entries.map((entry) => entry.line),
    '} satisfies Record<string, KernelSource>;',
    '',
  ].join('\n');
  writeIfChanged(join(directory, 'wgsl.generated.ts'), text);
  writeIfChanged(
    join(directory, 'wgsl.d.ts'),
    [
      `// Written by scripts/embed-wgsl.mjs from ${folder}'s .wgsl files: its kernels, each entry point with the`,
      '// names of its bindings and uniform fields, as TypeScript sees them without the generated module',
      '// (wgsl.generated.ts, built): engine.dispatch is checked against them. Do not edit: edit the .wgsl file.',
      `import type { KernelSource } from '${types}';`,
      '',
      `export declare const wgsl: {\n${entries.map(({ key, type }) => `  readonly ${key}: ${type};`).join('\n')}\n};`,
      '',
    ].join('\n'),
  );
}
