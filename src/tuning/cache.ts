// Tunings kept between runs (Node and Deno): one JSON file per adapter in the user's cache,
// so the tuner times a shape's candidates once per adapter, not once per run. A file from
// other kernels (a changed WGSL source) or another adapter is ignored.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Engine } from '../backend/engine.ts';
import type { TuningFile } from './table.ts';
import { tune, type TunedKey, type TuneOptions } from './tuner.ts';
import { adoptTuning, tuningRecord } from './tuning-file.ts';
import { defaultCacheDirectory, writeFileAtomic } from '../files.ts';

/** The tuning file of an adapter: its description made safe as a file name. */
export function tuningFilePath(adapterDescription: string, cacheDirectory: string = defaultCacheDirectory()): string {
  const name =
    adapterDescription
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 120) || 'adapter';
  return join(cacheDirectory, 'tuning', `${name}.json`);
}

/** Loads the engine's adapter's tunings, if a usable file exists; returns how many entries it adopted. */
export function loadTuning(engine: Engine, path: string = tuningFilePath(engine.adapterDescription)): number {
  if (!existsSync(path)) return 0;
  let file: TuningFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as TuningFile;
  } catch {
    return 0; // an unreadable cache is no cache: the tuner measures again and rewrites it
  }
  return adoptTuning(engine, file);
}

/** Writes the engine's tuning table for its adapter (atomically), for the next run to adopt. */
export function saveTuning(engine: Engine, path: string = tuningFilePath(engine.adapterDescription)): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, JSON.stringify(tuningRecord(engine), null, 1) + '\n');
}

/** Loads the cached tunings, tunes what they lack in `encodeWork`, and saves the result. */
export async function tuneWithCache(
  engine: Engine,
  encodeWork: () => void,
  options: TuneOptions & { path?: string } = {},
): Promise<TunedKey[]> {
  const path = options.path ?? tuningFilePath(engine.adapterDescription);
  loadTuning(engine, path);
  const tuned = await tune(engine, encodeWork, options);
  if (tuned.length > 0) saveTuning(engine, path);
  return tuned;
}
