// Unrolls a kernel's constant-count loops in its WGSL text before it is compiled.
//
// Why: register tiles (conv2d's sums, matmul's accumulators) stay in registers only when every
// index into them is a constant, i.e. when the loops over the tile are unrolled. Dawn's SPIR-V
// leaves that to the driver, and Mesa unrolls them. wgpu (Deno, Firefox) adds an iteration
// counter to every loop it emits (its guard against infinite loops), and Mesa then unrolls
// none of them: on lavapipe each tile access became a per-lane gather or scatter through
// memory (seen in the LLVM IR: 448 scatters and 8 multiply-adds where Dawn's code has 64
// multiply-adds and none). Unrolled here, wgpu's output gets Dawn's straight-line code
// (docs/performance.md, "Figures behind the code", has the step's speed both ways).
// SwiftShader (Chromium without a GPU) unrolls nothing either: its JIT runs no loop unrolling,
// and every register tile there lived in memory. The engine unrolls where the driver will not
// (EngineOptions.unrollLoops, chosen in adapter-kind.ts); elsewhere the driver unrolls on its
// own and compiles the loops faster than their unrolled text.
//
// What is unrolled: every loop written exactly `for (var i = 0u; i < BOUND; i++) { ... }` whose
// BOUND is an expression of integer literals and module-scope `const`s (after specialisation),
// at most MAX_UNROLLED_ITERATIONS, whose body has no `break` or `continue`, and whose counter
// indexes a local array or vector (a register tile: `sums[c * 4u + j]`, `quad[e]`) rather than
// only storage buffers. Each iteration becomes a block `{ let i = Ku; ... }`. Other loops are
// left alone: unrolling them keeps nothing in registers, and SwiftShader took minutes and
// gigabytes to compile max-pool's window loops unrolled.
import { AelabError } from '../errors.ts';

export const MAX_UNROLLED_ITERATIONS = 32;

const LOOP = /for \(var (\w+) = 0u; \1 < ([^;{}]+); \1\+\+\) \{/g;

export function unrollConstantLoops(name: string, source: string): string {
  const constants = moduleConstants(source);
  const buffers = moduleBindings(source);
  let result = source;
  let searchFrom = 0;
  for (;;) {
    LOOP.lastIndex = searchFrom;
    const match = LOOP.exec(result);
    if (!match) return result;
    const [header, variable, boundText] = match as unknown as [string, string, string];
    const bodyStart = match.index + header.length;
    const bodyEnd = closingBrace(name, result, bodyStart);
    const body = result.slice(bodyStart, bodyEnd);
    const bound = evaluate(boundText, constants);
    if (
      bound === null ||
      bound > MAX_UNROLLED_ITERATIONS ||
      /\b(break|continue)\b/.test(withoutComments(body)) ||
      !indexesLocalArray(body, variable, buffers)
    ) {
      searchFrom = bodyStart; // leave this loop; loops inside it are still candidates
      continue;
    }
    const copies = Array.from({ length: bound }, (_, i) => `{ let ${variable} = ${i}u;${body}}`).join(' ');
    result = result.slice(0, match.index) + copies + result.slice(bodyEnd + 1);
    searchFrom = match.index; // the copies' own loops come next
  }
}

/** The names of the module's storage and uniform bindings (`var<storage, read> input: ...`). */
function moduleBindings(source: string): Set<string> {
  return new Set([...source.matchAll(/^\s*(?:@\w+\(\d+\)\s*)*var<[^>]+>\s+(\w+)/gm)].map((match) => match[1]!));
}

/** Whether `variable` appears inside the brackets of an index into anything but a module binding. */
function indexesLocalArray(body: string, variable: string, buffers: ReadonlySet<string>): boolean {
  const text = withoutComments(body);
  const counter = new RegExp(`\\b${variable}\\b`);
  for (const match of text.matchAll(/(\w+)\s*\[/g)) {
    if (buffers.has(match[1]!)) continue;
    let depth = 1;
    let end = match.index! + match[0].length;
    while (end < text.length && depth > 0) {
      if (text[end] === '[') depth++;
      else if (text[end] === ']') depth--;
      end++;
    }
    if (counter.test(text.slice(match.index! + match[0].length, end - 1))) return true;
  }
  return false;
}

/** The index of the `}` that closes the block whose body starts at `start`. */
function closingBrace(name: string, source: string, start: number): number {
  let depth = 1;
  for (let i = start; i < source.length; i++) {
    const character = source[i];
    if (character === '/' && source[i + 1] === '/') {
      const lineEnd = source.indexOf('\n', i);
      i = lineEnd === -1 ? source.length : lineEnd;
    } else if (character === '{') depth++;
    else if (character === '}' && --depth === 0) return i;
  }
  throw new AelabError(`kernel '${name}': unbalanced braces after position ${start}`);
}

function withoutComments(text: string): string {
  return text.replace(/\/\/[^\n]*/g, '');
}

/** Module-scope `const NAME: u32 = EXPRESSION;` (or without the type), as written. */
function moduleConstants(source: string): Map<string, string> {
  const constants = new Map<string, string>();
  for (const [, constantName, expression] of source.matchAll(/^const (\w+)(?:: [iu]32)? = ([^;]+);/gm))
    constants.set(constantName!, expression!);
  return constants;
}

/**
 * The value of an integer expression of literals (`8u`, `3`), module constants, + - * /
 * (integer division, as WGSL's u32) and parentheses; null if it names anything else.
 */
function evaluate(expression: string, constants: ReadonlyMap<string, string>, depth = 0): number | null {
  if (depth > 16) return null;
  const tokens = expression.match(/\d+[iu]?|\w+|[-+*/()]|\S/g) ?? [];
  let position = 0;
  const primary = (): number | null => {
    const token = tokens[position++];
    if (token === undefined) return null;
    if (token === '(') {
      const value = sum();
      return tokens[position++] === ')' ? value : null;
    }
    if (/^\d+[iu]?$/.test(token)) return Number.parseInt(token, 10);
    const definition = constants.get(token);
    return definition === undefined ? null : evaluate(definition, constants, depth + 1);
  };
  const product = (): number | null => {
    let value = primary();
    while (value !== null && (tokens[position] === '*' || tokens[position] === '/')) {
      const operator = tokens[position++];
      const right = primary();
      if (right === null || (operator === '/' && right === 0)) return null;
      value = operator === '*' ? value * right : Math.trunc(value / right);
    }
    return value;
  };
  const sum = (): number | null => {
    let value = product();
    while (value !== null && (tokens[position] === '+' || tokens[position] === '-')) {
      const operator = tokens[position++];
      const right = product();
      if (right === null) return null;
      value = operator === '+' ? value + right : value - right;
    }
    return value;
  };
  const value = sum();
  return position === tokens.length ? value : null;
}
