// The host-side loop unrolling that the engine applies to every kernel before compiling it
// on wgpu (src/tuning/unroll.ts): which loops it unrolls, which it leaves, and what it writes.
import { describe, expect, it } from 'vitest';
import { MAX_UNROLLED_ITERATIONS, unrollConstantLoops } from '../../src/tuning/unroll.ts';
import { ops, type OpName } from '../../src/kernels/registry.ts';
import type { Op } from '../../src/kernels/op.ts';
import { checkOp, failures } from '../../src/checks/check.ts';
import { describeCase, opCases, type ParityCase } from '../../src/checks/cases.ts';
import { testEngine } from '../support/engine.ts';

const unroll = (source: string) => unrollConstantLoops('test', source).replace(/\s+/g, ' ').trim();

describe('unrollConstantLoops', () => {
  it('turns a loop of literal count into one block per iteration, its counter a constant', () => {
    expect(unroll('for (var i = 0u; i < 3u; i++) { s += a[i]; }')).toBe(
      '{ let i = 0u; s += a[i]; } { let i = 1u; s += a[i]; } { let i = 2u; s += a[i]; }',
    );
  });

  it('evaluates bounds written with module constants and integer arithmetic', () => {
    const source =
      'const A: u32 = 2u;\nconst B = A * (3u + 1u) / 4u;\nfn f() { for (var k = 0u; k < A * B - 1u; k++) { x(t[k]); } }';
    expect(unroll(source)).toBe(
      'const A: u32 = 2u; const B = A * (3u + 1u) / 4u; fn f() { { let k = 0u; x(t[k]); } { let k = 1u; x(t[k]); } { let k = 2u; x(t[k]); } }',
    );
  });

  it('unrolls nested loops, the inner one in every copy of the outer', () => {
    expect(unroll('for (var i = 0u; i < 2u; i++) { for (var j = 0u; j < 2u; j++) { s[i * 2u + j] = 0.0; } }')).toBe(
      '{ let i = 0u; { let j = 0u; s[i * 2u + j] = 0.0; } { let j = 1u; s[i * 2u + j] = 0.0; } } { let i = 1u; { let j = 0u; s[i * 2u + j] = 0.0; } { let j = 1u; s[i * 2u + j] = 0.0; } }',
    );
  });

  it.each([
    ['a runtime count', 'for (var i = 0u; i < params.count; i++) { s += a[i]; }'],
    ['a break', 'for (var i = 0u; i < 4u; i++) { if (a[i] < 0.0) { break; } }'],
    ['a continue', 'for (var i = 0u; i < 4u; i++) { if (a[i] < 0.0) { continue; } s += a[i]; }'],
    ['another start', 'for (var i = 1u; i < 4u; i++) { s += a[i]; }'],
    ['too many iterations', `for (var i = 0u; i < ${MAX_UNROLLED_ITERATIONS + 1}u; i++) { s += a[i]; }`],
    ['a counter that indexes no array', 'for (var i = 0u; i < 4u; i++) { s += f(i) * 2.0; }'],
    [
      'a counter that indexes only storage buffers',
      '@group(0) @binding(0) var<storage, read> a: array<f32>;\nfn f() { for (var i = 0u; i < 4u; i++) { s += a[i]; } }',
    ],
  ])('leaves a loop with %s as it is', (_, source) => {
    expect(unroll(source)).toBe(source.replace(/\s+/g, ' '));
  });

  it("unrolls a loop whose counter indexes a local array beside storage buffers, or a vector, or a struct's array", () => {
    const buffer = '@group(0) @binding(0) var<storage, read> a: array<f32>;\n';
    expect(unroll(`${buffer}fn f() { for (var i = 0u; i < 2u; i++) { s[i] = a[i]; } }`)).toBe(
      `${buffer.trim()} fn f() { { let i = 0u; s[i] = a[i]; } { let i = 1u; s[i] = a[i]; } }`,
    );
    expect(unroll('for (var e = 0u; e < 2u; e++) { quad[e] = 0.0; }')).toBe(
      '{ let e = 0u; quad[e] = 0.0; } { let e = 1u; quad[e] = 0.0; }',
    );
    expect(unroll('for (var c = 0u; c < 2u; c++) { w = o.channel[c + 1u]; }')).toBe(
      '{ let c = 0u; w = o.channel[c + 1u]; } { let c = 1u; w = o.channel[c + 1u]; }',
    );
  });

  it('still unrolls the constant loops inside a loop it leaves', () => {
    expect(unroll('for (var r = 0u; r < params.rows; r++) { for (var c = 0u; c < 2u; c++) { s += a[r + c]; } }')).toBe(
      'for (var r = 0u; r < params.rows; r++) { { let c = 0u; s += a[r + c]; } { let c = 1u; s += a[r + c]; } }',
    );
  });

  it('ignores braces in comments, and reports unbalanced ones with the kernel name', () => {
    expect(unroll('for (var i = 0u; i < 1u; i++) { // a { in a comment\n s[i] += 1.0; }')).toBe(
      '{ let i = 0u; // a { in a comment s[i] += 1.0; }',
    );
    expect(() => unrollConstantLoops('broken', 'for (var i = 0u; i < 2u; i++) { s[i] += 1.0;')).toThrow(
      /kernel 'broken': unbalanced braces/,
    );
  });
});

// Deno's parity suite runs every op unrolled (wgpu); here, on Dawn, an engine that unrolls
// runs the ops whose kernels have register tiles, against the same float64 reference.
const engine = await testEngine({ unrollLoops: true });

describe.skipIf(!engine)('kernels compiled unrolled (Dawn)', () => {
  for (const name of ['conv2d', 'maxPool2d', 'upsample2d', 'binaryCrossEntropy', 'relu'] as OpName[]) {
    const op = ops[name] as Op<unknown>;
    (opCases[name] as readonly ParityCase<unknown>[]).forEach((spec, index) => {
      it(`${name} ${describeCase(spec)}`, async () => {
        expect(failures(op, await checkOp(engine!, op, spec, 3000 + index))).toEqual([]);
      });
    });
  }
});
