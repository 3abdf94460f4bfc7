// The colourisation report: the metrics of each method against its own gray baseline, the targets
// of each, a grid of the same test images (gray | each method | truth), the ab accuracy curves,
// the loss curves, and the round-trip error of the notebook's conversion beside the correct ones.
import { Buffer } from 'node:buffer';
import {
  labToRgb,
  notebookRgbToYcbcr,
  notebookYcbcrToRgb,
  rgbToLab,
  rgbToYcbcr,
  ycbcrToRgb,
  type PixelConversion,
} from '../../data/colour.ts';
import { escapeHtml, lineChartSvg, lossChartSvg } from '../report.ts';
import { imageGridPng } from '../png-images.ts';
import type { RunDirectory } from '../run-directory.ts';
import type { ColourMetrics } from './metrics.ts';
import type { ColouriseResult } from './run.ts';

const GRID_IMAGES = 8;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#7f7f7f'];

/** The largest and mean absolute error of a round trip over the 8-bit colours on a grid of step 15. */
export function roundTripError(forward: PixelConversion, inverse: PixelConversion): { largest: number; mean: number } {
  let [largest, total, count] = [0, 0, 0];
  for (let r = 0; r <= 255; r += 15)
    for (let g = 0; g <= 255; g += 15)
      for (let b = 0; b <= 255; b += 15) {
        const rgb = [r / 255, g / 255, b / 255] as const;
        inverse(...forward(...rgb)).forEach((value, i) => {
          const error = Math.abs(value - rgb[i]!);
          largest = Math.max(largest, error);
          total += error;
          count += 1;
        });
      }
  return { largest, mean: total / count };
}

/** A run's pooled PSNR over its own gray baseline's (its gray plane with no colour), in dB. */
export function gainOverOwnGray(result: ColouriseResult, run: ColouriseResult['runs'][number]): number {
  return run.metrics.pooledPsnr - result.grays[run.grayName]!.pooledPsnr;
}

/** The targets the project sets itself, met or not, as lines for the report and the command's output. */
export function targetLines(result: ColouriseResult): string[] {
  const lines: string[] = [];
  for (const skip of [false, true]) {
    const run = (name: string) => result.runs.find((outcome) => outcome.name === name && outcome.skip === skip);
    // Skip connections let the decoder place chroma on the encoder's edges: they are asked for more.
    const target = skip ? 1 : 0.5;
    for (const name of ['ycbcr', 'difference']) {
      const outcome = run(name);
      if (!outcome) continue;
      const gain = gainOverOwnGray(result, outcome);
      lines.push(
        `${outcome.label}: ${signed(gain)} dB pooled PSNR over its own gray, the ${outcome.grayName} (target ${signed(target)}): ${gain >= target ? 'met' : 'not met'}`,
      );
    }
    const lab = run('lab-classes');
    const ycbcr = run('ycbcr');
    if (lab && ycbcr) {
      const ratio = lab.metrics.colourfulness / ycbcr.metrics.colourfulness;
      const above = gainOverOwnGray(result, lab) >= 0;
      lines.push(
        `${lab.label}: colourfulness ${ratio.toFixed(2)}x ${ycbcr.label}'s (target 2x) and PSNR ${above ? 'at or above' : 'below'} its own gray's, the ${lab.grayName} with a* = b* = 0: ${ratio >= 2 && above ? 'met' : 'not met'}`,
      );
    }
  }
  return lines;
}

const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;

function metricsRow(
  name: string,
  description: string,
  metrics: ColourMetrics,
  seconds: number | null,
  gain: number | null,
): string {
  const cells = [
    gain === null ? '' : signed(gain),
    metrics.pooledPsnr.toFixed(2),
    Number.isFinite(metrics.medianPsnr) ? metrics.medianPsnr.toFixed(2) : '&infin;',
    metrics.ssim.toFixed(4),
    `${metrics.colourfulness.toFixed(1)} (${metrics.colourfulnessRatio.toFixed(2)})`,
    (100 * metrics.abAuc).toFixed(1),
    (100 * metrics.abAucRebalanced).toFixed(1),
    seconds === null ? '' : seconds.toFixed(1),
  ];
  return `<tr><th style="text-align:left">${escapeHtml(name)}<br><small>${escapeHtml(description)}</small></th>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
}

export function writeColouriseReport(
  root: RunDirectory,
  result: ColouriseResult,
  images: { truth: Float32Array; gray: Float32Array; height: number; width: number; command: string; adapter: string },
): void {
  const count = Math.min(GRID_IMAGES, images.truth.length / (3 * images.height * images.width));
  const columns = [images.gray, ...result.runs.map((run) => run.predictions), images.truth];
  const grid = imageGridPng(columns, count, 3, images.height, images.width);
  root.write('colourised.png', grid);
  const summary = {
    gray: result.gray,
    truthColourfulness: result.truthColourfulness,
    binCount: result.binCount,
    grays: result.grays,
    runs: Object.fromEntries(
      result.runs.map((run) => [
        run.label,
        {
          method: run.name,
          skip: run.skip,
          ...run.metrics,
          ownGray: run.grayName,
          gainOverOwnGray: gainOverOwnGray(result, run),
          trainingSeconds: run.trainingSeconds,
          epochs: run.history.length,
        },
      ]),
    ),
    targets: targetLines(result),
  };
  root.write('metrics.json', JSON.stringify(summary, null, 2) + '\n');
  const conversions: [string, PixelConversion, PixelConversion][] = [
    ['BT.601 YCbCr (JPEG), as here', rgbToYcbcr, ycbcrToRgb],
    ['CIE L*a*b* (D65), as here', rgbToLab, labToRgb],
    ["the notebook's YCbCr", notebookRgbToYcbcr, notebookYcbcrToRgb],
  ];
  const roundTrips = conversions.map(([name, forward, inverse]) => {
    const { largest, mean } = roundTripError(forward, inverse);
    return `<tr><th style="text-align:left">${escapeHtml(name)}</th><td>${largest.toExponential(2)}</td><td>${mean.toExponential(2)}</td></tr>`;
  });
  const series = [
    { name: 'gray', metrics: result.gray },
    ...result.runs.map((run) => ({ name: run.label, metrics: run.metrics })),
  ];
  const accuracyChart = lineChartSvg(
    series.map(({ name, metrics }, i) => ({
      label: name,
      colour: COLOURS[i % COLOURS.length]!,
      points: metrics.abAccuracy.map((share, t): [number, number] => [t, share]),
    })),
    'ab error threshold (L*a*b* units)',
    'share of pixels within',
    'Raw accuracy on ab',
  );
  const lossCharts = result.runs
    .filter((run) => run.history.length > 0)
    .map((run) => `<div><h3>${escapeHtml(run.label)}</h3>${lossChartSvg(run.history, run.lossName)}</div>`);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Colourisation</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
.row{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}</style></head>
<body>
<h1>Colourisation</h1>
<p><code>${escapeHtml(images.command)}</code><br>${escapeHtml(images.adapter)}</p>
<h2>Test set</h2>
<table><tr><th></th><th>gain over its own gray (dB)</th><th>PSNR pooled (dB)</th><th>median PSNR (dB)</th><th>SSIM</th><th>colourfulness (ratio to true ${result.truthColourfulness.toFixed(1)})</th><th>ab AUC (%)</th><th>ab AUC rebalanced (%)</th><th>training (s)</th></tr>
${Object.entries(result.grays)
  .map(([name, metrics]) =>
    metricsRow(`gray: the ${name}`, "a method's own gray plane with no colour", metrics, null, null),
  )
  .join('\n')}
${result.runs.map((run) => metricsRow(run.label, `${run.description}; its gray: the ${run.grayName}`, run.metrics, run.trainingSeconds, gainOverOwnGray(result, run))).join('\n')}</table>
<p>Each method is measured against the gray of its own input (its gray plane with no colour: the luma, the channel mean or L*), the baseline it would reach by predicting no colour; the gray rows show every method's gray. PSNR pooled is taken from the MSE over all test pixels; the median of per-image PSNRs is infinite where more than half the images are exactly gray. SSIM is dominated by luminance, which every method keeps, so it barely separates them. Colourfulness is Hasler and S&uuml;sstrunk's; a ratio below 1 is washed out. The ab AUC is the area under the share of pixels within each ab error from 0 to 150; rebalanced, each true colour bin counts equally.</p>
<ul>${targetLines(result)
    .map((line) => `<li>${escapeHtml(line)}</li>`)
    .join('')}</ul>
<h2>Test images</h2>
<p>Columns: gray, ${result.runs.map((run) => escapeHtml(run.label)).join(', ')}, truth.</p>
<img alt="gray, colourised and true test images" src="data:image/png;base64,${Buffer.from(grid).toString('base64')}">
<div class="row"><div><h2>Raw accuracy</h2>${accuracyChart}</div></div>
<h2>Loss</h2><div class="row">${lossCharts.join('\n')}</div>
<h2>Round trips</h2>
<p>RGB to the space and back, over the 8-bit colours on a grid of step 15: the error of each conversion.</p>
<table><tr><th></th><th>largest error</th><th>mean error</th></tr>${roundTrips.join('')}</table>
</body></html>
`;
  root.write('report.html', html);
}
