// aelab import-keras: a Keras 3 model (nn/keras.ts) written as a run folder that reconstruct,
// colourise --model, export and the lab's Load take: config.json (the layers, as a LayerModel)
// and model.safetensors (the weights, in our layout, with the layers in its metadata).
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AelabError } from '../errors.ts';
import { readFileBytes, readJsonFile } from '../files.ts';
import { importKeras, unzipKeras, type KerasFiles } from '../nn/keras.ts';
import { encodeSafetensors } from '../nn/safetensors.ts';
import { RunDirectory } from '../experiments/run-directory.ts';
import { METHODS, type MethodName } from '../experiments/colourise/methods.ts';
import { layerModelSummary } from '../nn/layer-model.ts';
import { parseOptions, UsageError } from './arguments.ts';

export const IMPORT_KERAS_USAGE = `aelab import-keras MODEL.keras --out DIR [--method ycbcr|difference]
aelab import-keras config.json model.weights.h5 --out DIR
  writes a Keras 3 model as a run folder (config.json and model.safetensors) that reconstruct,
  colourise --model, export and the lab's Load take. It takes chains of Conv2D (square kernels,
  strides, same or valid, bias or none), MaxPooling2D, UpSampling2D (nearest), Activation and
  ReLU (relu, sigmoid, tanh, linear); anything else is refused, naming the layer
  --method M        the model is a colouriser of method M (gray in; ycbcr: Cb and Cr out,
                    difference: R, G and B minus their mean out), for colourise --model
`;

/** What a colouriser of each method must take and give (channels in, channels out). */
const COLOURISER_CHANNELS: Readonly<Record<string, [number, number]>> = { ycbcr: [1, 2], difference: [1, 3] };

/** The model's files: one .keras zip, a folder holding the pair, or config.json and model.weights.h5. */
export function kerasFilesAt(paths: readonly string[]): KerasFiles {
  if (paths.length === 1 && existsSync(paths[0]!) && statSync(paths[0]!).isDirectory())
    return kerasFilesAt([join(paths[0]!, 'config.json'), join(paths[0]!, 'model.weights.h5')]);
  if (paths.length === 1) return unzipKeras(readFileBytes(paths[0]!), paths[0]!);
  const json = paths.find((path) => path.endsWith('.json'));
  const h5 = paths.find((path) => path.endsWith('.h5'));
  if (paths.length !== 2 || !json || !h5)
    throw new UsageError('give one .keras file, or config.json and model.weights.h5');
  return { config: readJsonFile(json), weights: readFileBytes(h5) };
}

export async function importKerasCommand(argv: string[], log: (line: string) => void): Promise<void> {
  // The paths: what no option takes (every option here takes a value).
  const takesNext = (i: number) => i > 0 && argv[i - 1]!.startsWith('--') && !argv[i - 1]!.includes('=');
  const paths = argv.filter((argument, i) => !argument.startsWith('--') && !takesNext(i));
  const options = parseOptions(
    argv.filter((argument) => !paths.includes(argument)),
    { out: { type: 'string' }, method: { type: 'string' } },
  );
  if (paths.length === 0)
    throw new UsageError('a Keras model is required: MODEL.keras, or config.json and model.weights.h5');
  if (!options.out) throw new UsageError('--out is required');
  const method = options.method as MethodName | null;
  if (method !== null && !COLOURISER_CHANNELS[method])
    throw new UsageError(
      `--method ${method}: a Keras colouriser is imported as ${Object.keys(COLOURISER_CHANNELS).join(' or ')}${(METHODS as readonly string[]).includes(method) ? ` (${method} needs its ab bins)` : ''}`,
    );
  const where = paths.map((path) => basename(path)).join(' and ');
  const imported = await importKeras(kerasFilesAt(paths), where);
  const { model } = imported;
  const summary = layerModelSummary(model);
  if (method) {
    const [inputs, outputs] = COLOURISER_CHANNELS[method]!;
    if (model.input[0] !== inputs || summary.output[0] !== outputs)
      throw new AelabError(
        `${where}: a ${method} colouriser takes ${inputs} channel in and gives ${outputs} out; this model takes ${model.input[0]} and gives ${summary.output[0]}`,
      );
  }
  const run = new RunDirectory(options.out);
  if (run.readJson('config.json')) throw new AelabError(`${options.out} already holds a run: choose another --out`);
  run.create();
  const importedFrom = { format: 'keras', file: where, kerasVersion: imported.kerasVersion };
  const name = `keras ${basename(paths[0]!).replace(/\.(keras|json)$/, '')}`;
  run.write(
    'model.safetensors',
    encodeSafetensors(imported.tensors, { model: name, 'aelab.layers': JSON.stringify(model) }),
  );
  run.write(
    'config.json',
    JSON.stringify(
      // The split reconstruct --data takes its test images from: the command line's defaults.
      { ...(method ? { method } : {}), architecture: model, sample: 0.1, seed: 1, importedFrom },
      null,
      2,
    ) + '\n',
  );
  log(summary.text);
  log(
    `wrote ${options.out}: ${imported.tensors.size} tensors from ${where}${method ? `, a ${method} colouriser` : ''}`,
  );
}
