// A tuning as it is kept between runs, wherever it is kept (cache.ts: a file per adapter under
// Node and Deno; the lab: the browser's IndexedDB): the engine's table under its adapter and
// the version of the kernels it timed, and the adoption of such a record by an engine.
import type { Engine } from '../backend/engine.ts';
import { TUNING_METHOD, type TuningFile } from './table.ts';

/** What a kept tuning is valid for: the kernel sources the engine compiled, and the tuning method. */
export function tuningVersion(engine: Engine): string {
  return engine.kernels.sourcesVersion(TUNING_METHOD);
}

/** The engine's table as a record to keep. */
export function tuningRecord(engine: Engine): TuningFile {
  return engine.tuning.toFile(engine.adapterDescription, tuningVersion(engine));
}

/** Adopts a kept record if it is of this adapter and these kernels; how many entries it added. */
export function adoptTuning(engine: Engine, file: TuningFile): number {
  const before = engine.tuning.size;
  return engine.tuning.load(file, engine.adapterDescription, tuningVersion(engine)) ? engine.tuning.size - before : 0;
}
