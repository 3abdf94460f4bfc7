// Bad input gets a clear error before anything is dispatched to the GPU.
import { describe, expect, it } from 'vitest';
import { ops } from '../../src/kernels/registry.ts';
import { DisposedTensorError, ShapeError, ShaderCompileError } from '../../src/errors.ts';
import * as F from '../../src/nn/functional.ts';
import { KernelLibrary } from '../../src/backend/kernel-library.ts';
import { testEngine } from '../support/engine.ts';
import { gpuBackend } from '../../src/nn/gpu-backend.ts';
import { wgsl } from '#wgsl/backend';

const engine = await testEngine();

describe.skipIf(!engine)('clear errors before any dispatch', () => {
  const e = engine!;
  const zeros = (shape: number[]) => e.zeros(shape);

  function expectNoDispatch(action: () => unknown, error: new (...args: never[]) => Error, message: RegExp): void {
    const before = e.statistics().dispatches;
    expect(action).toThrow(error);
    expect(action).toThrow(message);
    expect(e.statistics().dispatches).toBe(before);
  }

  it('mismatched shapes of elementwise inputs', () => {
    const a = zeros([2, 3]);
    const b = zeros([3, 2]);
    expectNoDispatch(() => F.add(a, b), ShapeError, /add: shapes must match, got \[2, 3\] and \[3, 2\]/);
    expectNoDispatch(() => F.meanSquaredError(a, b), ShapeError, /meanSquaredError \(prediction, target\)/);
  });

  it('a conv weight whose input channels differ from the input', () => {
    const input = zeros([1, 3, 8, 8]);
    const weight = zeros([4, 2, 3, 3]);
    expectNoDispatch(() => F.conv2d(input, weight), ShapeError, /input has 3 channels but the weight expects 2/);
  });

  it('a conv bias of the wrong length, and a non-NCHW input', () => {
    const [input, weight, bias, flat] = [zeros([1, 3, 8, 8]), zeros([4, 3, 3, 3]), zeros([5]), zeros([3, 8, 8])];
    expectNoDispatch(() => F.conv2d(input, weight, bias), ShapeError, /bias: expected \[4\], got \[5\]/);
    expectNoDispatch(() => F.conv2d(flat, weight), ShapeError, /rank-4 NCHW/);
  });

  it('a kernel larger than the padded input', () => {
    const [small, tiny, kernel] = [zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), zeros([1, 1, 5, 5])];
    expectNoDispatch(
      () => F.conv2d(small, kernel, null, { padding: 'valid' }),
      ShapeError,
      /window 5 is larger than the padded input 4/,
    );
    expectNoDispatch(
      () => F.maxPool2d(tiny, { poolSize: 4 }),
      ShapeError,
      /window 4 is larger than the padded input 3/,
    );
  });

  it('zero or negative sizes, strides and factors', () => {
    expect(() => e.zeros([2, 0, 3])).toThrow(/every dimension must be a positive integer/);
    expect(() => e.tensor([1], [-1])).toThrow(ShapeError);
    const [input, kernel] = [zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3])];
    expectNoDispatch(
      () => F.conv2d(input, kernel, null, { stride: 0 }),
      ShapeError,
      /stride must be an integer >= 1, got 0/,
    );
    expectNoDispatch(() => F.maxPool2d(input, { poolSize: -2 }), ShapeError, /poolSize must be an integer >= 1/);
    expectNoDispatch(() => F.upsample2d(input, 1.5), ShapeError, /factor must be an integer >= 1/);
  });

  it('an activation the kernels do not fuse', () => {
    const [input, kernel] = [zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3])];
    const sigmoid = 'sigmoid' as unknown as 'relu'; // a JavaScript caller's typo or wish
    expectNoDispatch(
      () => F.conv2d(input, kernel, null, { activation: sigmoid }),
      ShapeError,
      /conv2d activation: expected 'linear' or 'relu', got 'sigmoid'/,
    );
    expectNoDispatch(
      () => F.maxPool2d(input, { poolSize: 2, activation: sigmoid }),
      ShapeError,
      /maxPool2d activation: expected 'linear' or 'relu', got 'sigmoid'/,
    );
  });

  it('data that does not fill the shape', () => {
    expect(() => e.tensor([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2, 2\]/);
  });

  it('a tensor used after disposal', () => {
    const input = zeros([1, 1, 4, 4]);
    input.dispose();
    expectNoDispatch(() => F.relu(input), DisposedTensorError, /used after it was disposed/);
  });

  it('a tensor of a scope that has ended', () => {
    let leaked = e.zeros([1]);
    e.scope(() => {
      leaked = e.zeros([3]);
    });
    expectNoDispatch(() => F.relu(leaked), DisposedTensorError, /\[3\] was used after it was disposed/);
  });

  it('the wrong number of inputs', () => {
    const input = zeros([2]);
    expectNoDispatch(
      () => gpuBackend(e).forward(ops.add, [input], {}),
      Error,
      /add: expected inputs \(left, right\), got 1/,
    );
  });

  it('a WGSL compile error names the kernel file, line and column', async () => {
    const library = new KernelLibrary(e.device);
    const broken = {
      name: 'broken',
      source: 'fn ok() {}\nfn broken() -> f32 {\n  return 1.0 +;\n}\n',
      parts: [{ path: 'src/kernels/broken.wgsl', line: 1, lines: 4 }],
    };
    await expect(library.check(broken)).rejects.toThrow(ShaderCompileError);
    await expect(library.check(broken)).rejects.toThrow(/src\/kernels\/broken\.wgsl:3:\d+: /);
    // Lines after an included prelude are reported in the file that holds them, at its own line.
    const withPrelude = {
      name: 'broken',
      source: '// prelude\nfn ok() {}\nfn broken() -> f32 {\n  return 1.0 +;\n}\n',
      parts: [
        { path: 'src/kernels/prelude.wgsl', line: 1, lines: 2 },
        { path: 'src/kernels/pass.wgsl', line: 3, lines: 3 },
      ],
    };
    await expect(library.check(withPrelude)).rejects.toThrow(/src\/kernels\/pass\.wgsl:4:\d+: /);
  });

  it('binding a buffer to a name the kernel does not have', () => {
    const output = zeros([4]);
    expect(() =>
      e.dispatch(wgsl.fill, 'fill', {
        // @ts-expect-error: the type checker refuses it too (wgsl.d.ts names fill's bindings)
        bindings: { output, extra: output },
        params: { count: 4, value: 1 },
        invocations: 4,
      }),
    ).toThrow(/fill\.fill: the kernel has no storage binding 'extra'/);
    // @ts-expect-error: and a missing uniform field
    expect(() => e.dispatch(wgsl.fill, 'fill', { bindings: { output }, params: { count: 4 }, invocations: 4 })).toThrow(
      /missing uniform value 'value'/,
    );
  });
});
