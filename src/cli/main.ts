// The aelab command line.
//   aelab autoencoder --data ../shared/data/cifar10 --epochs 10     (npm run build: dist/cli.js)
//   deno run --unstable-webgpu -A src/cli/main.ts autoencoder ...
import process from 'node:process';
import { join } from 'node:path';
import { AelabError, DeviceLostError } from '../errors.ts';
import type { Engine } from '../backend/engine.ts';
import { VERSION } from '../version.ts';
import {
  checkTrainingOptions,
  givenOptions,
  parseOptions,
  TRAINING_HELP,
  TRAINING_OPTIONS,
  tuningOf,
  UsageError,
} from './arguments.ts';
import { fileError } from '../files.ts';
import { ProgressLine } from './progress.ts';
import { sweep, SWEEP_USAGE } from './sweep.ts';
import { colourise, COLOURISE_USAGE } from './colourise.ts';
import { check, CHECK_USAGE } from './check.ts';
import { lab, LAB_USAGE } from './lab.ts';
import { kernels, KERNELS_USAGE } from './kernels.ts';
import { reconstruct, RECONSTRUCT_USAGE } from './reconstruct.ts';
import { importKerasCommand, IMPORT_KERAS_USAGE } from './import-keras.ts';
import { exportModel, EXPORT_USAGE } from './export.ts';
import { runAutoencoder, type AutoencoderConfig } from '../experiments/autoencoder.ts';
import { createEngine } from '../kernels/registry.ts';
import type { Progress } from '../nn/training.ts';

const COMMANDS_HELP = `usage: aelab <command> [options]     (aelab --version, aelab <command> -h)

commands:
  autoencoder    train the notebook's convolutional autoencoder (part 1)
  reconstruct    reconstruct test images, or your own pictures, with a saved model
  import-keras   a Keras 3 model as a run folder (to reconstruct, colourise, export or open in the lab)
  export         a trained model as ONNX
  sweep          train the notebook's 36 architectures and compare them (part 2)
  colourise      train colourisers, gray in and colour out, and compare them (part 3)
  check          run the gradient checks on this machine's GPU (every op against float64)
  lab            serve the lab page: train, look inside, check and benchmark in the browser
  kernels        list the kernels a training step runs on this adapter; --show prints their WGSL
`;

const AUTOENCODER_USAGE = `aelab autoencoder [--data DIR] [--epochs 10] [--batch-size 32] [--sample 0.1] [--seed 1]
                  [--out runs/autoencoder] [--resume] [--resume-from epoch-NNNN] [--tune | --no-tune]
  trains the notebook's autoencoder, a checkpoint each epoch, and writes OUT/report.html
  --resume-from epoch-NNNN  resume from that checkpoint (when the latest is damaged), discarding
                    the later ones
`;

/** Each command's help: its own options, then, for a training command, the shared ones. */
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  autoencoder: `${AUTOENCODER_USAGE}${TRAINING_HELP}`,
  reconstruct: RECONSTRUCT_USAGE,
  'import-keras': IMPORT_KERAS_USAGE,
  export: EXPORT_USAGE,
  sweep: `${SWEEP_USAGE}${TRAINING_HELP}`,
  colourise: `${COLOURISE_USAGE}${TRAINING_HELP}`,
  colorize: `${COLOURISE_USAGE}${TRAINING_HELP}`,
  check: CHECK_USAGE,
  lab: LAB_USAGE,
  kernels: KERNELS_USAGE,
};

const USAGE = [
  COMMANDS_HELP,
  AUTOENCODER_USAGE,
  SWEEP_USAGE,
  COLOURISE_USAGE,
  TRAINING_HELP,
  RECONSTRUCT_USAGE,
  IMPORT_KERAS_USAGE,
  EXPORT_USAGE,
  CHECK_USAGE,
  LAB_USAGE,
  KERNELS_USAGE,
].join('\n');

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Fault injection for the tests (test/e2e/reliability.test.ts): AELAB_FAULT_DEVICE_LOST=EPOCH:STEP
 * destroys the GPU device at that step, as a driver reset or a crashed GPU process loses it.
 */
async function deviceLossOnCue(): Promise<{ engine: Engine; onProgress: (update: Progress) => void } | null> {
  const cue = process.env['AELAB_FAULT_DEVICE_LOST'];
  if (!cue) return null;
  const [epoch, step] = cue.split(':').map(Number);
  const engine = await createEngine();
  return {
    engine,
    onProgress: (update) => {
      if (update.epoch === epoch && update.step === step) engine.device.destroy();
    },
  };
}

/** What a lost device leaves a training command's user to do: its finished epochs are saved. */
const AFTER_DEVICE_LOST = 'every finished epoch is saved: run the same command with --resume to continue';
const TRAINING_COMMANDS = ['autoencoder', 'sweep', 'colourise', 'colorize'];

async function autoencoder(argv: string[]): Promise<void> {
  const options = parseOptions(argv, {
    ...TRAINING_OPTIONS,
    out: { type: 'string', default: 'runs/autoencoder' },
    resumeFrom: { type: 'string' },
  });
  if (options.resumeFrom !== null && !/^epoch-\d{4}$/.test(options.resumeFrom))
    throw new UsageError(`--resume-from ${options.resumeFrom}: expected a checkpoint name such as epoch-0003`);
  checkTrainingOptions(options);
  const config: AutoencoderConfig = {
    data: options.data,
    epochs: options.epochs,
    batchSize: options.batchSize,
    sample: options.sample,
    seed: options.seed,
  };
  const progress = new ProgressLine();
  const fault = await deviceLossOnCue();
  const result = await runAutoencoder(options.out!, config, options.resume || options.resumeFrom !== null, {
    resumeFrom: options.resumeFrom ?? undefined,
    log,
    engine: fault?.engine,
    command: ['aelab autoencoder', ...argv].join(' '),
    onProgress: (update) => {
      progress.update(update);
      fault?.onProgress(update);
    },
    onEpochEnd: (epochLog, epochs) => progress.epochEnd(epochLog, epochs),
    tuning: tuningOf(options),
    given: givenOptions(argv),
  });
  const { test } = result;
  log(
    `test: loss ${test.loss.toFixed(4)}, PSNR ${test.psnr.toFixed(2)} dB, MSE ${test.meanSquaredError.toFixed(5)}; training took ${result.trainingSeconds.toFixed(1)} s`,
  );
  log(`report: ${join(result.directory, 'report.html')}`);
}

const COMMANDS = Object.keys(COMMAND_USAGE);

const debugging = (argv: readonly string[]) => argv.includes('--debug') || process.env['AELAB_DEBUG'] === '1';

export async function main(commandLine: string[]): Promise<number> {
  const argv = commandLine.filter((argument) => argument !== '--debug');
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-V') {
      process.stdout.write(`aelab ${VERSION}\n`);
      return 0;
    }
    if (
      !command ||
      command === '--help' ||
      command === '-h' ||
      command === 'help' ||
      rest.includes('--help') ||
      rest.includes('-h')
    ) {
      const usage = command ? COMMAND_USAGE[command] : undefined;
      process.stdout.write(usage ? `usage: ${usage}` : USAGE);
      return command ? 0 : 2;
    }
    if (command === 'autoencoder') await autoencoder(rest);
    else if (command === 'reconstruct') await reconstruct(rest);
    else if (command === 'import-keras') await importKerasCommand(rest, log);
    else if (command === 'export') await exportModel(rest);
    else if (command === 'sweep') await sweep(rest);
    else if (command === 'colourise' || command === 'colorize') await colourise(rest);
    else if (command === 'check') return await check(rest);
    else if (command === 'lab') await lab(rest);
    else if (command === 'kernels') await kernels(rest);
    else throw new UsageError(`unknown command '${command}'`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const help = command && COMMANDS.includes(command) ? `aelab ${command} -h` : 'aelab -h';
      process.stderr.write(`aelab: ${error.message}\n(${help} lists the commands and their options)\n`);
      return 2;
    }
    // A file-system error (a path that does not exist, a full disk) is the user's to fix: one
    // line naming the path. The stack only with --debug or AELAB_DEBUG=1.
    const known =
      error instanceof AelabError
        ? error
        : fileError(error, (error as { path?: string }).path ?? 'a file', 'cannot use');
    if (debugging(commandLine)) process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    if (known instanceof DeviceLostError && command && TRAINING_COMMANDS.includes(command)) {
      process.stderr.write(`aelab: ${known.message}; ${AFTER_DEVICE_LOST}\n`);
      return 1;
    }
    if (known instanceof AelabError) {
      process.stderr.write(`aelab: ${known.message}\n`);
      return 1;
    }
    process.stderr.write(
      `aelab: internal error: ${(error as Error).message ?? String(error)}${debugging(commandLine) ? '' : ' (AELAB_DEBUG=1 or --debug shows where)'}\n`,
    );
    return 70;
  }
}

process.exitCode = await main(process.argv.slice(2));
