// A Keras-like progress line on stderr: epoch, step/steps, a bar, the loss, the ETA.
// On a terminal it redraws in place. Elsewhere (a log file, CI) it writes a plain line every
// OFF_TERMINAL_SECONDS within a long epoch, so a log never goes silent, and one per epoch.
import process from 'node:process';
import type { EpochLog, Progress } from '../nn/training.ts';

const WIDTH = 24;
/** How often a log off a terminal hears from an epoch in progress. */
export const OFF_TERMINAL_SECONDS = 30;

export interface ProgressOutput {
  readonly terminal: boolean;
  write(text: string): void;
  now(): number;
}

const standardError: ProgressOutput = {
  terminal: Boolean(process.stderr.isTTY),
  write: (text) => process.stderr.write(text),
  now: () => Date.now(),
};

export class ProgressLine {
  private lastDraw = 0;
  private epochStarted = -1;

  constructor(private readonly output: ProgressOutput = standardError) {}

  update(progress: Progress): void {
    const now = this.output.now();
    if (progress.epoch !== this.epochStarted) [this.epochStarted, this.lastDraw] = [progress.epoch, now];
    const eta = (progress.elapsedSeconds / progress.step) * (progress.steps - progress.step);
    const loss = progress.loss === null ? '' : ` - loss: ${progress.loss.toFixed(4)}`;
    if (!this.output.terminal) {
      if (now - this.lastDraw < 1000 * OFF_TERMINAL_SECONDS || progress.step === progress.steps) return;
      this.lastDraw = now;
      this.output.write(
        `Epoch ${progress.epoch}/${progress.epochs} ${progress.step}/${progress.steps}${loss} - ${formatSeconds(progress.elapsedSeconds)} so far - ETA: ${formatSeconds(eta)}\n`,
      );
      return;
    }
    if (now - this.lastDraw < 100 && progress.step < progress.steps) return;
    this.lastDraw = now;
    const done = Math.round((WIDTH * progress.step) / progress.steps);
    const bar = '='.repeat(Math.max(0, done - 1)) + (done > 0 ? '>' : '') + '.'.repeat(WIDTH - done);
    this.output.write(
      `\r\x1b[2KEpoch ${progress.epoch}/${progress.epochs} ${progress.step}/${progress.steps} [${bar}]${loss} - ETA: ${formatSeconds(eta)}`,
    );
  }

  epochEnd(log: EpochLog, epochs: number): void {
    const validation = log.validation
      ? ` - val_loss: ${log.validation.loss.toFixed(4)} - val_psnr: ${log.validation.psnr.toFixed(2)} dB`
      : '';
    const line = `Epoch ${log.epoch}/${epochs} - ${formatSeconds(log.seconds)} - loss: ${log.train.loss.toFixed(4)} - psnr: ${log.train.psnr.toFixed(2)} dB${validation}`;
    this.output.write(this.output.terminal ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}
