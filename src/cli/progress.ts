// A Keras-like progress line on stderr: epoch, step/steps, a bar, the loss, the ETA.
// On a terminal it redraws in place; elsewhere (a log file, CI) one line per epoch.
import process from 'node:process';
import type { EpochLog, Progress } from '../nn/training.ts';

const WIDTH = 24;

export class ProgressLine {
  private readonly terminal = Boolean(process.stderr.isTTY);
  private lastDraw = 0;

  update(progress: Progress): void {
    if (!this.terminal) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && progress.step < progress.steps) return;
    this.lastDraw = now;
    const done = Math.round((WIDTH * progress.step) / progress.steps);
    const bar = '='.repeat(Math.max(0, done - 1)) + (done > 0 ? '>' : '') + '.'.repeat(WIDTH - done);
    const eta = (progress.elapsedSeconds / progress.step) * (progress.steps - progress.step);
    const loss = progress.loss === null ? '' : ` - loss: ${progress.loss.toFixed(4)}`;
    process.stderr.write(`\r\x1b[2KEpoch ${progress.epoch}/${progress.epochs} ${progress.step}/${progress.steps} [${bar}]${loss} - ETA: ${formatSeconds(eta)}`);
  }

  epochEnd(log: EpochLog, epochs: number): void {
    const validation = log.validation ? ` - val_loss: ${log.validation.loss.toFixed(4)} - val_psnr: ${log.validation.psnr.toFixed(2)} dB` : '';
    const line = `Epoch ${log.epoch}/${epochs} - ${formatSeconds(log.seconds)} - loss: ${log.train.loss.toFixed(4)} - psnr: ${log.train.psnr.toFixed(2)} dB${validation}`;
    process.stderr.write(this.terminal ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}
