// aelab export: a trained model of a run folder (an autoencoder, a colouriser's method folder,
// or an import) written as ONNX (nn/onnx.ts), for ONNX Runtime and the tools that read it.
import process from 'node:process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AelabError } from '../errors.ts';
import { readFileBytes, readJsonFile, writeFileAtomic } from '../files.ts';
import { createEngine } from '../kernels/registry.ts';
import { isLayerModel } from '../nn/layer-model.ts';
import { onnxModel, ONNX_OPSET } from '../nn/onnx.ts';
import { applyTensors, decodeSafetensors } from '../nn/safetensors.ts';
import { autoencoderFor, inputChannels, type ModelDescription } from '../experiments/configurable-autoencoder.ts';
import { savedColouriser } from '../experiments/colourise/colourise-pictures.ts';
import { parseOptions, UsageError } from './arguments.ts';

export const EXPORT_USAGE = `aelab export --model DIR --format onnx --out FILE.onnx [--image-size HxW]
  writes the model of a run folder ('aelab autoencoder', a method folder of 'aelab colourise', or
  'aelab import-keras') as an ONNX graph (opset ${ONNX_OPSET}): the network itself, images in and its
  output out (a colouriser's colour space conversion is not in it), for a free batch size
  --image-size HxW  the pictures' size it takes (default: the size the model was made or trained
                    for, from its folder; else 32x32)
`;

const log = (line: string) => process.stderr.write(`${line}\n`);

export async function exportModel(argv: string[]): Promise<void> {
  const options = parseOptions(argv, {
    model: { type: 'string' },
    format: { type: 'string', default: 'onnx' },
    out: { type: 'string' },
    imageSize: { type: 'string' },
  });
  for (const name of ['model', 'out'] as const) if (!options[name]) throw new UsageError(`--${name} is required`);
  if (options.format !== 'onnx') throw new UsageError(`--format ${options.format}: the one format written is onnx`);
  const size = options.imageSize === null ? null : /^(\d+)x(\d+)$/.exec(options.imageSize);
  if (options.imageSize !== null && !size)
    throw new UsageError(`--image-size ${options.imageSize}: expected HEIGHTxWIDTH, such as 32x32`);
  const folder = options.model!;
  const [configPath, weightsPath] = [join(folder, 'config.json'), join(folder, 'model.safetensors')];
  if (!existsSync(configPath) || !existsSync(weightsPath))
    throw new AelabError(
      `--model ${folder}: no ${existsSync(configPath) ? 'model.safetensors' : 'config.json'} (not a finished run folder)`,
    );
  const config = readJsonFile<{ method?: string; architecture?: ModelDescription; seed?: number }>(configPath);
  const weights = readFileBytes(weightsPath);
  const engine = await createEngine();
  let model;
  let channels: number;
  if (config.method) {
    const binsPath = join(folder, 'bins.json');
    const bins = existsSync(binsPath) ? readJsonFile(binsPath) : null;
    const colouriser = savedColouriser(engine, `--model ${folder}`, { config, weights, bins });
    model = colouriser.model;
    channels = inputChannels(colouriser.method.architecture);
  } else {
    const decoded = decodeSafetensors(weights, weightsPath);
    // The images' channels: the first conv's input channels ([out, in, k, k]).
    const first = [...decoded.tensors.values()].find((tensor) => tensor.shape.length === 4);
    channels = first?.shape[1] ?? 3;
    model = autoencoderFor(engine, config.architecture, config.seed ?? 1, channels);
    applyTensors(engine, model.namedParameters(), decoded, weightsPath);
  }
  // The size it was made for (an import) or trained on (metrics.json of 'aelab autoencoder').
  const trainedOn = existsSync(join(folder, 'metrics.json'))
    ? readJsonFile<{ model?: { imageShape?: number[] } }>(join(folder, 'metrics.json')).model?.imageShape
    : undefined;
  const own = isLayerModel(config.architecture)
    ? config.architecture.input.slice(1)
    : (trainedOn?.slice(1) ?? [32, 32]);
  const [height, width] = size ? [Number(size[1]), Number(size[2])] : own;
  const file = await onnxModel(engine, model, [channels, height!, width!], {
    name: config.method ?? 'autoencoder',
    description: `${config.method ? `a ${config.method} colouriser` : 'an autoencoder'} exported by aelab from ${folder}`,
  });
  writeFileAtomic(options.out!, file);
  log(
    `wrote ${options.out}: ONNX opset ${ONNX_OPSET}, input 'image' [batch, ${channels}, ${height}, ${width}], output 'output' (${file.length.toLocaleString('en-US')} bytes)`,
  );
}
