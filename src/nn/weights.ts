// A model's weights to bytes and back, in the safetensors format the command line writes
// (model.safetensors), for a model on any backend: GPU parameters are read back, float64
// reference parameters stored as float32. Bytes work in every runtime; run-directory.ts adds
// the file versions for Node and Deno.
import type { TapeTensor } from './autograd.ts';
import type { Module } from './modules.ts';
import { Tensor } from '../backend/tensor.ts';
import { ReferenceTensor } from './reference-backend.ts';
import { AelabError } from '../errors.ts';
import { decodeSafetensors, encodeNamed, requireSameTensors } from './safetensors.ts';

/** Each tensor's values as float32: one readback for all the GPU tensors. */
export async function tensorValues<T extends TapeTensor<T>>(tensors: readonly T[]): Promise<Float32Array[]> {
  const gpu = tensors.filter((tensor): tensor is T & Tensor => tensor instanceof Tensor);
  const read = gpu.length > 0 ? await gpu[0]!.engine.readAll(gpu) : [];
  return tensors.map((tensor) => {
    if (tensor instanceof Tensor) return read[gpu.indexOf(tensor as T & Tensor)]!;
    if (tensor instanceof ReferenceTensor) return Float32Array.from(tensor.data);
    throw new AelabError(`weights: ${String(tensor)} is neither a GPU tensor nor a reference tensor`);
  });
}

/** Overwrites a tensor's values (a GPU upload, or a copy into a reference tensor). */
export function setTensorValues<T extends TapeTensor<T>>(tensor: T, values: Float32Array): void {
  if (tensor instanceof Tensor) tensor.engine.write(tensor, values);
  else if (tensor instanceof ReferenceTensor) tensor.data.set(values);
  else throw new AelabError(`weights: ${String(tensor)} is neither a GPU tensor nor a reference tensor`);
}

/** The model's parameters by name (Module.namedParameters) as a safetensors file. */
export async function saveWeights<T extends TapeTensor<T>>(
  model: Module<T>,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const named = model.namedParameters();
  return encodeNamed(named, await tensorValues(named.map(([, tensor]) => tensor)), metadata);
}

/**
 * Loads a safetensors file into the model's parameters by name. Every parameter must be in
 * the file with its shape, and the file must hold nothing else; otherwise a CheckpointError
 * names what differs and the model is left unchanged. Returns the file's metadata.
 */
export function loadWeights<T extends TapeTensor<T>>(
  model: Module<T>,
  file: Uint8Array,
  fileName = 'weights',
): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(file, fileName);
  const named = model.namedParameters();
  requireSameTensors(named, tensors, fileName);
  for (const [name, tensor] of named) setTensorValues(tensor, tensors.get(name)!.data);
  return metadata;
}
