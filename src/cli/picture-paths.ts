// The pictures a command's --input names (one file, or a folder's pictures), where --out puts
// what is made of them, and the loop over them in which a picture that cannot be used is named
// in one line while the others are still done (colourise --model, reconstruct --input).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AelabError } from '../errors.ts';
import { readFileBytes } from '../files.ts';
import { DataError } from '../data/image-set.ts';
import { decodePictureFile, type Picture } from '../data/picture-files.ts';
import { UsageError } from './arguments.ts';

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

/** Whether --out names one picture (by its extension) rather than a folder; one picture for several is refused. */
export function outputIsOnePicture(out: string, pictures: number): boolean {
  const single = PICTURE_NAME.test(out);
  if (single && pictures > 1)
    throw new UsageError(`--out ${out} names one picture, but --input holds ${pictures}: give a folder`);
  return single;
}

/**
 * `work` on each picture at `paths`, decoded and upright; one that cannot be read or used (a
 * DataError) is named in one line and the others are still done. Returns how many were done.
 */
export async function eachPicture(
  paths: readonly string[],
  log: (line: string) => void,
  work: (picture: Picture, path: string) => Promise<void>,
): Promise<number> {
  let done = 0;
  for (const path of paths) {
    try {
      await work(await decodePictureFile(readFileBytes(path), path), path);
      done += 1;
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      log(error.message);
    }
  }
  return done;
}
