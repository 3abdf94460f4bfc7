// A run directory: config.json, the outputs, and checkpoints/epoch-NNNN/ folders that each
// hold the weights, the optimiser state and the history after that epoch. A checkpoint is
// written into a temporary folder and committed by one rename, so a run killed at any
// moment leaves the last complete epoch intact and nothing half-written that looks valid.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { formatShape } from '../shapes.ts';
import { writeFileAtomic } from '../files.ts';
import type { Module } from '../nn/modules.ts';
import type { Optimizer } from '../nn/optimisers.ts';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type StoredTensor } from '../nn/safetensors.ts';
import type { EpochLog } from '../nn/training.ts';

const CHECKPOINTS_KEPT = 2;

export async function tensorsToFile(engine: Engine, named: readonly [string, Tensor][], metadata: Record<string, string>): Promise<Uint8Array> {
  const values = await engine.readAll(named.map(([, tensor]) => tensor));
  return encodeSafetensors(new Map(named.map(([name, tensor], i): [string, StoredTensor] => [name, { shape: tensor.shape, data: values[i]! }])), metadata);
}

/** Loads stored tensors into existing ones by name; every name and shape must match. */
export function loadTensors(engine: Engine, named: readonly [string, Tensor][], path: string): Record<string, string> {
  if (!existsSync(path)) throw new CheckpointError(`${path} does not exist`);
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
  for (const [name, tensor] of named) {
    const stored = tensors.get(name);
    if (!stored) throw new CheckpointError(`${path}: no tensor '${name}' (the file holds: ${[...tensors.keys()].join(', ')})`);
    if (formatShape(stored.shape) !== formatShape(tensor.shape)) {
      throw new CheckpointError(`${path}: '${name}' has shape ${formatShape(stored.shape)}, the model expects ${formatShape(tensor.shape)}`);
    }
    engine.write(tensor, stored.data);
  }
  if (tensors.size !== named.length) throw new CheckpointError(`${path} holds ${tensors.size} tensors, the model has ${named.length}`);
  return metadata;
}

export interface CheckpointState {
  readonly epoch: number;
  readonly optimizerStep: number;
  readonly history: EpochLog[];
}

export class RunDirectory {
  constructor(readonly path: string) {
    mkdirSync(join(path, 'checkpoints'), { recursive: true });
  }

  file(name: string): string {
    return join(this.path, name);
  }

  write(name: string, contents: Uint8Array | string): void {
    writeFileAtomic(this.file(name), contents);
  }

  readJson<T>(name: string): T | null {
    const path = this.file(name);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
  }

  /** Writes a checkpoint of epoch `state.epoch` and commits it with one rename. */
  async saveCheckpoint(engine: Engine, model: Module<Tensor>, optimizer: Optimizer, state: CheckpointState): Promise<void> {
    const name = `epoch-${String(state.epoch).padStart(4, '0')}`;
    const folder = join(this.path, 'checkpoints', name);
    const temporary = `${folder}.tmp-${process.pid}`;
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary);
    writeFileAtomic(join(temporary, 'model.safetensors'), await tensorsToFile(engine, model.namedParameters(), { epoch: String(state.epoch) }));
    writeFileAtomic(join(temporary, 'optimizer.safetensors'), await tensorsToFile(engine, optimizer.namedState(), { optimizer: optimizer.name, step: String(optimizer.step) }));
    writeFileAtomic(join(temporary, 'state.json'), JSON.stringify(state, null, 1));
    rmSync(folder, { recursive: true, force: true });
    renameSync(temporary, folder);
    for (const old of this.checkpointNames().slice(0, -CHECKPOINTS_KEPT)) rmSync(join(this.path, 'checkpoints', old), { recursive: true, force: true });
  }

  /** Committed checkpoints, oldest first (temporary folders of killed runs are ignored). */
  checkpointNames(): string[] {
    return readdirSync(join(this.path, 'checkpoints')).filter((name) => /^epoch-\d{4}$/.test(name)).sort();
  }

  /** Restores the latest checkpoint into the model and optimiser; null when there is none. */
  loadLatestCheckpoint(engine: Engine, model: Module<Tensor>, optimizer: Optimizer): CheckpointState | null {
    const latest = this.checkpointNames().at(-1);
    if (!latest) return null;
    const folder = join(this.path, 'checkpoints', latest);
    loadTensors(engine, model.namedParameters(), join(folder, 'model.safetensors'));
    const metadata = loadTensors(engine, optimizer.namedState(), join(folder, 'optimizer.safetensors'));
    if (metadata['optimizer'] !== optimizer.name) throw new CheckpointError(`${folder}: the optimiser state is ${metadata['optimizer']}'s, this run uses ${optimizer.name}`);
    const state = JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8')) as CheckpointState;
    optimizer.step = state.optimizerStep;
    return state;
  }
}
