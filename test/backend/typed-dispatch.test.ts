// The kernels' declarations (wgsl.d.ts, reflected from the WGSL by scripts/embed-wgsl.mjs)
// make the type checker check every dispatch: a file that misspells a binding, a uniform
// field or an entry point is refused when compiled, naming the right names; the same file
// spelled right compiles.
import { describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Compiles `body` as a file of its own with the project's options; its error messages. */
function compile(name: string, body: string): string[] {
  const folder = join('.cache', `typed-dispatch-${process.pid}`);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${name}.ts`);
  writeFileSync(
    file,
    [
      "import type { Engine } from '../../src/backend/engine.ts';",
      "import type { Tensor } from '../../src/backend/tensor.ts';",
      "import { wgsl } from '#wgsl/kernels';",
      'export function run(engine: Engine, input: Tensor, output: Tensor): void {',
      body,
      '}',
    ].join('\n'),
  );
  try {
    const config = ts.readConfigFile('tsconfig.json', ts.sys.readFile).config;
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, '.');
    const program = ts.createProgram([file], { ...options, noEmit: true });
    return ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file?.fileName.endsWith(`${name}.ts`))
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const request = (bindings: string, params: string) =>
  `engine.dispatch(wgsl.relu, 'forward', { bindings: { ${bindings} }, params: { ${params} }, invocations: 1 });`;

describe('typed dispatch', () => {
  it('a dispatch with the kernel’s own names compiles', () => {
    expect(compile('right', request('input, output', 'count: output.size'))).toEqual([]);
  });

  it('a misspelled binding is refused, and the message names the kernel’s bindings', () => {
    const errors = compile('binding', request('inptu: input, output', 'count: output.size'));
    expect(errors).toEqual([expect.stringMatching(/'inptu' does not exist in type .*Did you mean to write 'input'\?/)]);
  });

  it('a misspelled uniform field and an unknown entry point are refused', () => {
    expect(compile('field', request('input, output', 'cuont: output.size'))).toEqual([
      expect.stringMatching(/'cuont' does not exist in type .*Did you mean to write 'count'\?/),
    ]);
    const entry = `engine.dispatch(wgsl.relu, 'forwards', { bindings: { input, output }, params: { count: 1 }, invocations: 1 });`;
    expect(compile('entry', entry)).toEqual([
      expect.stringMatching(/'"forwards"' is not assignable to parameter of type '"forward" \| "backward"'/),
    ]);
  });
});
