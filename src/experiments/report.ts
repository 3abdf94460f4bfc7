// What a run shows a person: history.csv (written here, and read back by the lab's Results
// view), a loss-curve chart (SVG) and report.html, which puts it on one page with the grid of
// originals beside their reconstructions (png-images.ts draws it).
import type { EpochLog, Metrics } from '../nn/training.ts';

export const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** history.csv: a run's metrics per epoch, one row each (parseHistoryCsv reads it back). */
export const historyCsv = (history: readonly EpochLog[]): string =>
  ['epoch,seconds,loss,binary_accuracy,mse,psnr,val_loss,val_binary_accuracy,val_mse,val_psnr']
    .concat(
      history.map((log) =>
        [log.epoch, log.seconds.toFixed(3), ...metricColumns(log.train), ...metricColumns(log.validation)].join(','),
      ),
    )
    .join('\n') + '\n';

function metricColumns(metrics: Metrics | null): string[] {
  return metrics
    ? [metrics.loss, metrics.binaryAccuracy, metrics.meanSquaredError, metrics.psnr].map((value) =>
        value.toPrecision(7),
      )
    : ['', '', '', ''];
}

/** history.csv's rows as epoch logs; a malformed file is refused naming the line. */
export function parseHistoryCsv(text: string, fileName: string): EpochLog[] {
  const [header, ...lines] = text.trim().split('\n');
  const columns = header!.split(',');
  const index = (name: string) => columns.indexOf(name);
  if (index('epoch') < 0 || index('loss') < 0)
    throw new Error(`${fileName}: no epoch and loss columns; not a run's history.csv`);
  return lines.map((line, i) => {
    const cells = line.split(',');
    const value = (name: string) => (index(name) < 0 || cells[index(name)] === '' ? NaN : Number(cells[index(name)]));
    const metrics = (prefix: string): Metrics | null =>
      Number.isNaN(value(`${prefix}loss`))
        ? null
        : {
            loss: value(`${prefix}loss`),
            binaryAccuracy: value(`${prefix}binary_accuracy`),
            meanSquaredError: value(`${prefix}mse`),
            psnr: value(`${prefix}psnr`),
          };
    const train = metrics('');
    if (!train || Number.isNaN(value('epoch'))) throw new Error(`${fileName}: line ${i + 2} has no epoch or loss`);
    return { epoch: value('epoch'), seconds: value('seconds'), train, validation: metrics('val_') };
  });
}

/** Bytes as base64 (for data: URLs), without node:buffer so this file also runs in a browser. */
export function base64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Round-number axis ticks covering [low, high]. */
export function ticks(low: number, high: number, count = 5): number[] {
  const span = high - low || Math.abs(high) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw)!;
  const result: number[] = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step)
    result.push(Number(value.toPrecision(12)));
  return result;
}

export interface Series {
  readonly label: string;
  readonly colour: string;
  readonly points: readonly [number, number][];
}

/** A line chart with labelled axes, ticks and a legend, as standalone SVG. */
export function lineChartSvg(series: readonly Series[], xLabel: string, yLabel: string, title: string): string {
  const width = 640;
  const height = 400;
  const margin = { left: 72, right: 24, top: 40, bottom: 56 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const yPad = (Math.max(...ys) - Math.min(...ys)) * 0.08 || 0.01;
  const [yMin, yMax] = [Math.min(...ys) - yPad, Math.max(...ys) + yPad];
  const px = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * (width - margin.left - margin.right);
  const py = (y: number) =>
    height - margin.bottom - ((y - yMin) / (yMax - yMin)) * (height - margin.top - margin.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeHtml(title)}</text>`,
  ];
  for (const y of ticks(yMin, yMax)) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${py(y)}" y2="${py(y)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${py(y) + 4}" text-anchor="end">${y}</text>`);
  }
  for (const x of ticks(xMin, xMax, Math.min(10, xMax - xMin)).filter(Number.isInteger)) {
    parts.push(
      `<line x1="${px(x)}" x2="${px(x)}" y1="${height - margin.bottom}" y2="${height - margin.bottom + 5}" stroke="black"/>`,
    );
    parts.push(`<text x="${px(x)}" y="${height - margin.bottom + 19}" text-anchor="middle">${x}</text>`);
  }
  parts.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${height - margin.bottom}" y2="${height - margin.bottom}" stroke="black"/>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="black"/>`,
    `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 14}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
    `<text transform="translate(18 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    parts.push(
      `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [x, y] of s.points)
      parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    const legendY = margin.top + 8 + 18 * i;
    parts.push(
      `<line x1="${width - margin.right - 150}" x2="${width - margin.right - 126}" y1="${legendY}" y2="${legendY}" stroke="${s.colour}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${width - margin.right - 120}" y="${legendY + 4}">${escapeHtml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function lossChartSvg(history: readonly EpochLog[], lossName: string): string {
  const series: Series[] = [
    { label: 'training', colour: '#1f77b4', points: history.map((log) => [log.epoch, log.train.loss]) },
  ];
  if (history.some((log) => log.validation)) {
    series.push({
      label: 'validation',
      colour: '#ff7f0e',
      points: history.filter((log) => log.validation).map((log) => [log.epoch, log.validation!.loss]),
    });
  }
  return lineChartSvg(series, 'epoch', lossName, `${lossName} per epoch`);
}

export interface ReportContents {
  readonly title: string;
  readonly command: string;
  readonly summary: string;
  readonly history: readonly EpochLog[];
  readonly test: Metrics;
  readonly seconds: number;
  readonly adapter: string;
  readonly lossChart: string;
  readonly gridPng: Uint8Array;
  readonly gridCaption: string;
  /** The run's settings as facts: [name, value] rows. */
  readonly settings?: readonly (readonly [string, string])[];
}

const percent = (value: number) => `${(100 * value).toFixed(2)}%`;

export function reportHtml(report: ReportContents): string {
  const rows = report.history
    .map(
      (log) =>
        `<tr><td>${log.epoch}</td><td>${log.seconds.toFixed(1)}</td><td>${log.train.loss.toFixed(5)}</td><td>${log.train.psnr.toFixed(2)}</td>` +
        `<td>${log.validation ? log.validation.loss.toFixed(5) : ''}</td><td>${log.validation ? log.validation.psnr.toFixed(2) : ''}</td></tr>`,
    )
    .join('\n');
  const image = base64(report.gridPng);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>
<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
pre{background:#f6f6f6;padding:1em;overflow-x:auto}.row{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}</style></head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p><code>${escapeHtml(report.command)}</code><br>${escapeHtml(report.adapter)}; ${report.seconds.toFixed(1)} s of training.</p>
${report.settings ? `<h2>Settings</h2>\n<table>${report.settings.map(([name, value]) => `<tr><th style="text-align:left">${escapeHtml(name)}</th><td style="text-align:left">${escapeHtml(value)}</td></tr>`).join('')}</table>` : ''}
<h2>Test set</h2>
<table><tr><th>loss</th><th>PSNR</th><th>MSE</th><th>binary accuracy</th></tr>
<tr><td>${report.test.loss.toFixed(5)}</td><td>${report.test.psnr.toFixed(2)} dB</td><td>${report.test.meanSquaredError.toFixed(5)}</td><td>${percent(report.test.binaryAccuracy)}</td></tr></table>
<p>Binary accuracy is Keras' (prediction rounded at 0.5, compared with the target): with pixel
values as targets it counts only pixels that are exactly 0 or 1, so it says little here.</p>
<div class="row"><div><h2>Loss</h2>${report.lossChart}</div>
<div><h2>Reconstructions</h2><p>${escapeHtml(report.gridCaption)}</p><img alt="originals and reconstructions" src="data:image/png;base64,${image}"></div></div>
<h2>History</h2>
<table><tr><th>epoch</th><th>seconds</th><th>loss</th><th>PSNR (dB)</th><th>validation loss</th><th>validation PSNR (dB)</th></tr>
${rows}</table>
<h2>Model</h2><pre>${escapeHtml(report.summary)}</pre>
</body></html>
`;
}
