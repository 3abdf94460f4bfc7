// Imports a user's own file for 'aelab check --model': JavaScript as it is; TypeScript as
// Deno (and Node from 22.6 with type stripping) import it, or else transpiled by the
// TypeScript compiler installed in the user's folder, written beside the file (so that its
// own imports resolve as they would) and removed after.
import { existsSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AelabError } from '../errors.ts';
import { fileError } from '../files.ts';

interface TypeScriptCompiler {
  transpileModule(
    source: string,
    options: { compilerOptions: Record<string, unknown>; fileName: string },
  ): { outputText: string };
}

export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  const path = resolve(file);
  if (!existsSync(path)) throw new AelabError(`--model ${file}: no such file`);
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  }
  const typescript = typeScriptNear(path);
  if (!typescript) {
    throw new AelabError(
      `--model ${file}: this Node cannot import TypeScript, and no 'typescript' package was found beside it ` +
        '(npm install --save-dev typescript there, compile the file to JavaScript, or run the check with Deno)',
    );
  }
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    throw fileError(error, path, 'cannot read');
  }
  const { outputText } = typescript.transpileModule(source, {
    compilerOptions: { module: 'ESNext', target: 'ES2022' },
    fileName: path,
  });
  const transpiled = join(dirname(path), `.${basename(path).replace(/\.[cm]?ts$/, '')}.aelab-check.mjs`);
  writeFileSync(transpiled, outputText);
  try {
    return (await import(pathToFileURL(transpiled).href)) as Record<string, unknown>;
  } finally {
    rmSync(transpiled, { force: true });
  }
}

function typeScriptNear(path: string): TypeScriptCompiler | null {
  for (const from of [path, join(process.cwd(), 'package.json')]) {
    try {
      return createRequire(from)('typescript') as TypeScriptCompiler;
    } catch {
      // not installed there
    }
  }
  return null;
}
