// The pictures a command's --input names: one file, or a folder's pictures.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AelabError } from '../errors.ts';

/** A picture's file name: what --out names when it is one picture, not a folder. */
export const PICTURE_NAME = /\.(png|jpe?g)$/i;

/** The pictures --input names: a file (whatever its name: its bytes say what it is), or a folder's .png, .jpg and .jpeg files. */
export function picturePaths(input: string): string[] {
  if (!existsSync(input)) throw new AelabError(`--input ${input}: no such file or folder`);
  if (statSync(input).isFile()) return [input];
  const files = readdirSync(input)
    .filter((name) => PICTURE_NAME.test(name))
    .sort();
  if (files.length === 0) throw new AelabError(`--input ${input}: no .png, .jpg or .jpeg files in the folder`);
  return files.map((name) => join(input, name));
}
