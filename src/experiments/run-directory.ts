// A run directory: config.json, the outputs, and checkpoints/epoch-NNNN/ folders that each
// hold the weights, the optimiser state and the history after that epoch. A checkpoint is
// written into a temporary folder and committed by one rename, so a run killed at any
// moment leaves the last complete epoch intact and nothing half-written that looks valid.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AelabError } from '../errors.ts';
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { fileError, readFileBytes, readJsonFile, writeFileAtomic } from '../files.ts';
import type { Module } from '../nn/modules.ts';
import type { Optimizer } from '../nn/optimisers.ts';
import {
  applyTensors,
  CheckpointError,
  decodeSafetensors,
  tensorsToFile,
  type DecodedSafetensors,
} from '../nn/safetensors.ts';
import type { EpochLog } from '../nn/training.ts';
import type { TapeTensor } from '../nn/autograd.ts';
import { loadWeights, saveWeights } from '../nn/weights.ts';

const CHECKPOINTS_KEPT = 2;

/** Reads and checks a safetensors file (its SHA-256 included), without loading it anywhere. */
function readTensorFile(path: string): DecodedSafetensors {
  if (!existsSync(path)) throw new CheckpointError(`${path} does not exist`);
  return decodeSafetensors(new Uint8Array(readFileSync(path)), path);
}

/** Loads stored tensors into existing ones by name; every name and shape must match. */
export function loadTensors(engine: Engine, named: readonly [string, Tensor][], path: string): Record<string, string> {
  return applyTensors(engine, named, readTensorFile(path), path);
}

/** Writes the model's weights to `path` (safetensors, written atomically): saveWeights for Node and Deno. */
export async function saveWeightsFile<T extends TapeTensor<T>>(
  model: Module<T>,
  path: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  writeFileAtomic(path, await saveWeights(model, metadata));
}

/** Loads the weights at `path` into the model (loadWeights for Node and Deno); returns the file's metadata. */
export function loadWeightsFile<T extends TapeTensor<T>>(model: Module<T>, path: string): Record<string, string> {
  if (!existsSync(path)) throw new CheckpointError(`${path} does not exist`);
  return loadWeights(model, readFileBytes(path), path);
}

/** A checkpoint's three files, read and checked. */
interface CheckpointFiles {
  readonly model: DecodedSafetensors;
  readonly optimizer: DecodedSafetensors;
  readonly state: CheckpointState;
}

export interface CheckpointState {
  readonly epoch: number;
  readonly optimizerStep: number;
  readonly history: EpochLog[];
}

/** Who holds a run folder: written into its .lock file. */
interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

/** Whether a process of this host is alive (a signal 0 reaches it, or it exists but is another user's). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunDirectory {
  constructor(readonly path: string) {}

  /** Makes the folder (and checkpoints/); refuses a path that is a file. */
  create(): void {
    if (existsSync(this.path) && !statSync(this.path).isDirectory())
      throw new AelabError(`--out ${this.path} is a file, not a folder`);
    try {
      mkdirSync(join(this.path, 'checkpoints'), { recursive: true });
    } catch (error) {
      throw fileError(error, this.path, 'cannot make the run folder');
    }
  }

  /**
   * Takes the folder for this process: creates .lock with its PID and host, atomically (the
   * create fails if the file exists). A lock of a process of this host that no longer runs (a
   * killed run) is broken, with a message; any other refuses at once, naming its holder.
   * Returns the release.
   */
  lock(log: (line: string) => void = () => {}): () => void {
    const path = this.file('.lock');
    const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = openSync(path, 'wx');
        writeSync(handle, JSON.stringify(me));
        closeSync(handle);
        return () => rmSync(path, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw fileError(error, path, 'cannot lock the run folder with');
      }
      let holder: LockHolder | null = null;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
      } catch {
        // Being written this instant, or left empty by a crash: look again before judging.
      }
      if (holder && holder.host === me.host && !isRunning(holder.pid)) {
        log(`${this.path}: breaking the lock of PID ${holder.pid}, which no longer runs (a killed run)`);
        rmSync(path, { force: true });
      } else if (holder) {
        throw new AelabError(
          `${this.path} is in use by another aelab run (PID ${holder.pid} on ${holder.host}, since ${holder.started}); if that run is gone, delete ${path}`,
        );
      }
    }
    throw new AelabError(`${this.path}: cannot take its lock (${path} keeps changing): is another run starting there?`);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  write(name: string, contents: Uint8Array | string): void {
    writeFileAtomic(this.file(name), contents);
  }

  readJson<T>(name: string): T | null {
    const path = this.file(name);
    return existsSync(path) ? readJsonFile<T>(path) : null;
  }

  /** The epoch of the latest committed checkpoint, from its name (epoch-NNNN; 0: none). */
  latestEpoch(): number {
    const latest = this.checkpointNames().at(-1);
    return latest ? Number(latest.slice('epoch-'.length)) : 0;
  }

  /** Writes a checkpoint of epoch `state.epoch` and commits it with one rename. */
  async saveCheckpoint(
    engine: Engine,
    model: Module<Tensor>,
    optimizer: Optimizer,
    state: CheckpointState,
  ): Promise<void> {
    const name = `epoch-${String(state.epoch).padStart(4, '0')}`;
    const folder = join(this.path, 'checkpoints', name);
    const temporary = `${folder}.tmp-${process.pid}`;
    try {
      rmSync(temporary, { recursive: true, force: true });
      mkdirSync(temporary);
    } catch (error) {
      throw fileError(error, temporary, 'cannot make the checkpoint folder');
    }
    try {
      writeFileAtomic(
        join(temporary, 'model.safetensors'),
        await tensorsToFile(engine, model.namedParameters(), { epoch: String(state.epoch) }),
      );
      writeFileAtomic(
        join(temporary, 'optimizer.safetensors'),
        await tensorsToFile(engine, optimizer.namedState(), {
          optimizer: optimizer.name,
          step: String(optimizer.step),
        }),
      );
      writeFileAtomic(join(temporary, 'state.json'), JSON.stringify(state, null, 1));
    } catch (error) {
      rmSync(temporary, { recursive: true, force: true });
      throw error;
    }
    // The commit, last: until this rename the earlier checkpoints are the run's.
    try {
      rmSync(folder, { recursive: true, force: true });
      renameSync(temporary, folder);
    } catch (error) {
      throw fileError(error, folder, 'cannot commit the checkpoint');
    }
    for (const old of this.checkpointNames().slice(0, -CHECKPOINTS_KEPT))
      rmSync(join(this.path, 'checkpoints', old), { recursive: true, force: true });
  }

  /** Committed checkpoints, oldest first (temporary folders of killed runs are ignored). */
  checkpointNames(): string[] {
    const folder = join(this.path, 'checkpoints');
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((name) => /^epoch-\d{4}$/.test(name))
      .sort();
  }

  /** Reads checkpoint `name`'s files and checks them (sums, JSON); throws, saying what is damaged. */
  private readCheckpoint(name: string): CheckpointFiles {
    const folder = join(this.path, 'checkpoints', name);
    return {
      model: readTensorFile(join(folder, 'model.safetensors')),
      optimizer: readTensorFile(join(folder, 'optimizer.safetensors')),
      state: readJsonFile<CheckpointState>(join(folder, 'state.json')),
    };
  }

  /** Why checkpoint `name` cannot be restored (a file missing, cut short or altered), or null when it is intact. */
  checkpointProblem(name: string): string | null {
    try {
      this.readCheckpoint(name);
      return null;
    } catch (error) {
      return (error as Error).message; // any failure to read it back, a malformed header included
    }
  }

  /** Refuses --resume-from `name` unless this run has that checkpoint and it is intact; changes nothing. */
  checkResumeFrom(name: string): void {
    const names = this.checkpointNames();
    if (!names.includes(name))
      throw new AelabError(
        `--resume-from ${name}: ${this.path} has no such checkpoint (it has ${names.join(', ') || 'none'})`,
      );
    const problem = this.checkpointProblem(name);
    if (problem) throw new CheckpointError(`--resume-from ${name}: that checkpoint is damaged too (${problem})`);
  }

  /**
   * Makes checkpoint `name` the latest (--resume-from, once checkResumeFrom accepted it): the
   * later ones (a damaged one among them) are removed, since training continues from it.
   */
  rewindTo(name: string, log: (line: string) => void = () => {}): void {
    const names = this.checkpointNames();
    const at = names.indexOf(name);
    if (at < 0) throw new AelabError(`rewindTo ${name}: ${this.path} has no such checkpoint`); // never discard them all
    for (const later of names.slice(at + 1)) {
      log(`discarding checkpoint ${later}: training continues from ${name}`);
      rmSync(join(this.path, 'checkpoints', later), { recursive: true, force: true });
    }
  }

  /**
   * Restores the latest checkpoint into the model and optimiser; null when there is none. A
   * damaged latest checkpoint is refused, naming the newest intact one for --resume-from.
   */
  loadLatestCheckpoint(engine: Engine, model: Module<Tensor>, optimizer: Optimizer): CheckpointState | null {
    const names = this.checkpointNames();
    const latest = names.at(-1);
    if (!latest) return null;
    const folder = join(this.path, 'checkpoints', latest);
    let files: CheckpointFiles;
    try {
      files = this.readCheckpoint(latest);
    } catch (error) {
      const intact = names
        .slice(0, -1)
        .reverse()
        .find((name) => this.checkpointProblem(name) === null);
      throw new CheckpointError(
        `the latest checkpoint, ${folder}, is damaged (${(error as Error).message}); ` +
          (intact
            ? `${intact} is intact: pass --resume-from ${intact} to continue from it`
            : 'no earlier checkpoint is intact: start the run again in another --out'),
      );
    }
    applyTensors(engine, model.namedParameters(), files.model, join(folder, 'model.safetensors'));
    const metadata = applyTensors(
      engine,
      optimizer.namedState(),
      files.optimizer,
      join(folder, 'optimizer.safetensors'),
    );
    if (metadata['optimizer'] !== optimizer.name)
      throw new CheckpointError(
        `${folder}: the optimiser state is ${metadata['optimizer']}'s, this run uses ${optimizer.name}`,
      );
    optimizer.step = files.state.optimizerStep;
    return files.state;
  }
}
