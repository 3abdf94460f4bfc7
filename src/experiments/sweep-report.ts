// What a sweep shows a person: results.csv and results.json (one row per trial), scatter plots
// of test loss, binary accuracy and PSNR against the latent size with a least-squares line and
// its 95% confidence band on a log axis, and report.html with a sortable table, the best and
// worst trials' reconstructions, and the best trial's longer training.
import { escapeHtml, ticks } from './report.ts';
import { linearFit, type LinearFit } from './regression.ts';

/** One trial's row, under the column names results.csv uses. */
export interface TrialRow {
  readonly trial: number;
  readonly name: string;
  readonly fewer_layers: boolean;
  readonly channel_factor: number;
  readonly kernel_size: number;
  readonly compression_factor: number;
  readonly latent_size: number;
  readonly notebook_latent_size: number;
  readonly parameters: number;
  readonly flops_per_image: number;
  readonly test_loss: number;
  readonly binary_accuracy: number;
  readonly mse: number;
  readonly psnr: number;
  readonly seconds: number;
}

export const RESULT_COLUMNS = [
  'trial',
  'fewer_layers',
  'channel_factor',
  'kernel_size',
  'compression_factor',
  'latent_size',
  'notebook_latent_size',
  'parameters',
  'flops_per_image',
  'test_loss',
  'binary_accuracy',
  'mse',
  'psnr',
  'seconds',
] as const;

export function resultsCsv(rows: readonly TrialRow[]): string {
  const cell = (value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? value.toPrecision(7) : String(value);
  return (
    [RESULT_COLUMNS.join(','), ...rows.map((row) => RESULT_COLUMNS.map((column) => cell(row[column])).join(','))].join(
      '\n',
    ) + '\n'
  );
}

export type Metric = 'test_loss' | 'binary_accuracy' | 'psnr';

/** The fit of `metric` against log10(latent size), or null with fewer than 3 trials or one latent size. */
export function fitAgainstLatent(rows: readonly TrialRow[], metric: Metric): LinearFit | null {
  if (rows.length < 3 || new Set(rows.map((row) => row.latent_size)).size < 2) return null;
  return linearFit(
    rows.map((row) => Math.log10(row.latent_size)),
    rows.map((row) => row[metric]),
  );
}

const COLOURS = { fewer: '#d95f02', full: '#1b9e77' };

/** A scatter plot of `metric` against the latent size (log axis), coloured by fewer_layers, labelled by trial, with the fit and its band. */
export function scatterSvg(rows: readonly TrialRow[], metric: Metric, label: string): string {
  const width = 640;
  const height = 420;
  const margin = { left: 72, right: 24, top: 40, bottom: 56 };
  const xs = rows.map((row) => Math.log10(row.latent_size));
  const ys = rows.map((row) => row[metric]);
  const fit = fitAgainstLatent(rows, metric);
  const [xMin, xMax] = [
    Math.floor(Math.min(...xs)),
    Math.max(Math.ceil(Math.max(...xs)), Math.floor(Math.min(...xs)) + 1),
  ];
  const bandYs = fit
    ? [xMin, xMax].flatMap((x) => [fit.at(x).fitted - fit.at(x).halfWidth, fit.at(x).fitted + fit.at(x).halfWidth])
    : [];
  const yPad = (Math.max(...ys) - Math.min(...ys)) * 0.1 || 0.01;
  const [yMin, yMax] = [
    Math.min(...ys, ...bandYs.filter(Number.isFinite)) - yPad,
    Math.max(...ys, ...bandYs.filter(Number.isFinite)) + yPad,
  ];
  const px = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * (width - margin.left - margin.right);
  const py = (y: number) =>
    height -
    margin.bottom -
    ((Math.min(Math.max(y, yMin), yMax) - yMin) / (yMax - yMin)) * (height - margin.top - margin.bottom);
  const title = fit
    ? `${label} = ${fit.intercept.toPrecision(4)} ${fit.slope < 0 ? '-' : '+'} ${Math.abs(fit.slope).toPrecision(3)} log10(latent), R² ${fit.rSquared.toFixed(2)}`
    : `${label} against latent size`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${escapeHtml(title)}</text>`,
  ];
  for (const y of ticks(yMin, yMax)) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${py(y)}" y2="${py(y)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${py(y) + 4}" text-anchor="end">${y}</text>`);
  }
  for (let decade = xMin; decade <= xMax; decade++) {
    parts.push(
      `<line x1="${px(decade)}" x2="${px(decade)}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#e4e4e4"/>`,
    );
    parts.push(
      `<text x="${px(decade)}" y="${height - margin.bottom + 19}" text-anchor="middle">${(10 ** decade).toLocaleString('en-US')}</text>`,
    );
  }
  if (fit) {
    const steps = Array.from({ length: 41 }, (_, i) => xMin + ((xMax - xMin) * i) / 40);
    const upper = steps.map((x) => `${px(x).toFixed(1)},${py(fit.at(x).fitted + fit.at(x).halfWidth).toFixed(1)}`);
    const lower = steps
      .map((x) => `${px(x).toFixed(1)},${py(fit.at(x).fitted - fit.at(x).halfWidth).toFixed(1)}`)
      .reverse();
    parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="#7570b3" fill-opacity="0.18"/>`);
    parts.push(
      `<line x1="${px(xMin)}" y1="${py(fit.at(xMin).fitted)}" x2="${px(xMax)}" y2="${py(fit.at(xMax).fitted)}" stroke="#7570b3" stroke-width="2"/>`,
    );
  }
  rows.forEach((row, i) => {
    const colour = row.fewer_layers ? COLOURS.fewer : COLOURS.full;
    const [x, y] = [px(xs[i]!), py(ys[i]!)];
    parts.push(
      `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${colour}"><title>trial ${row.trial}: ${escapeHtml(row.name)}, ${metric} ${ys[i]!.toPrecision(5)}</title></circle>`,
    );
    parts.push(
      `<text x="${(x + 5).toFixed(1)}" y="${(y - 5).toFixed(1)}" font-size="10" fill="${colour}">${row.trial}</text>`,
    );
  });
  parts.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${height - margin.bottom}" y2="${height - margin.bottom}" stroke="black"/>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="black"/>`,
    `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 14}" text-anchor="middle">latent size (values per image, log scale)</text>`,
    `<text transform="translate(18 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(label)}</text>`,
    `<circle cx="${width - 190}" cy="${margin.top + 6}" r="4" fill="${COLOURS.fewer}"/><text x="${width - 182}" y="${margin.top + 10}">fewer layers (one pool)</text>`,
    `<circle cx="${width - 190}" cy="${margin.top + 22}" r="4" fill="${COLOURS.full}"/><text x="${width - 182}" y="${margin.top + 26}">all layers (two pools)</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

export interface SweepReport {
  readonly title: string;
  readonly command: string;
  readonly rows: readonly TrialRow[];
  /** Trials of the grid with no finished result (another shard's, or killed): listed, never dropped silently. */
  readonly missing: readonly string[];
  /** A trial's reconstructions.png, base64, by trial name. */
  readonly reconstructions: ReadonlyMap<string, string>;
  readonly best: {
    /** The trial it continued (its folder's name under trials/). */
    readonly trial: string;
    readonly lossChart: string;
    readonly reconstructionsPng: string | null;
    readonly test: { loss: number; psnr: number };
    readonly epochs: number;
  } | null;
  /** The sweep's wall time, where one process ran it (a merge of shards has none). */
  readonly wallSeconds: number | null;
}

const dataUri = (png: string) => `data:image/png;base64,${png}`;

/** The best trial trained on: its loss curves, and its reconstructions beside its 10-epoch self's. */
function bestSection(
  best: NonNullable<SweepReport['best']>,
  trial: TrialRow | undefined,
  before: string | undefined,
): string {
  const after = best.reconstructionsPng
    ? `<figure><figcaption>after ${best.epochs} epochs: test loss ${best.test.loss.toFixed(4)}, PSNR ${best.test.psnr.toFixed(2)} dB</figcaption><img src="${dataUri(best.reconstructionsPng)}"></figure>`
    : '';
  const earlier =
    trial && before
      ? `<figure><figcaption>the same model after the grid's epochs: test loss ${trial.test_loss.toFixed(4)}, PSNR ${trial.psnr.toFixed(2)} dB</figcaption><img src="${dataUri(before)}"></figure>`
      : '';
  return `<h2>The best trial, trained on</h2><p>Trial ${escapeHtml(best.trial)} continued from its weights and optimiser state, as the notebook's second fit did.</p>${best.lossChart}<div>${earlier}${after}</div>`;
}

export function sweepReportHtml(report: SweepReport): string {
  const rows = [...report.rows].sort((a, b) => a.trial - b.trial);
  const byLoss = [...rows].sort((a, b) => a.test_loss - b.test_loss);
  const byAccuracy = [...rows].sort((a, b) => b.binary_accuracy - a.binary_accuracy);
  const fit = fitAgainstLatent(rows, 'test_loss');
  const figure = (row: TrialRow | undefined, what: string) => {
    if (!row) return '';
    const png = report.reconstructions.get(row.name);
    return `<figure><figcaption>${escapeHtml(what)}: trial ${row.trial} (${escapeHtml(row.name)}), latent ${row.latent_size.toLocaleString('en-US')}, test loss ${row.test_loss.toFixed(4)}, PSNR ${row.psnr.toFixed(2)} dB, binary accuracy ${(100 * row.binary_accuracy).toFixed(2)}%</figcaption>${png ? `<img src="${dataUri(png)}" alt="test images beside their reconstructions">` : '<p>(no reconstructions.png)</p>'}</figure>`;
  };
  const headline = fit
    ? `Over ${rows.length} trials, test loss ${fit.slope < 0 ? 'falls' : 'rises'} by ${Math.abs(fit.slope).toPrecision(3)} per tenfold latent size (least squares on log10 of the latent size: slope ${fit.slope.toPrecision(3)}, intercept ${fit.intercept.toPrecision(4)}, R² ${fit.rSquared.toFixed(2)}). Best: trial ${byLoss[0]!.trial} (${escapeHtml(byLoss[0]!.name)}); worst: trial ${byLoss.at(-1)!.trial} (${escapeHtml(byLoss.at(-1)!.name)}).`
    : 'Too few trials (or latent sizes) for a regression line.';
  const header = `<tr>${['trial', 'name', ...RESULT_COLUMNS.slice(1)].map((column, i) => `<th onclick="sortBy(${i})">${column}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (row) =>
        `<tr>${[row.trial, row.name, ...RESULT_COLUMNS.slice(1).map((column) => row[column])]
          .map(
            (value) =>
              `<td>${typeof value === 'number' && !Number.isInteger(value) ? value.toPrecision(5) : escapeHtml(String(value))}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{cursor:pointer;background:#f4f4f4}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top;max-width:320px}img{image-rendering:pixelated;max-width:100%}code{background:#f4f4f4}</style>
<script>function sortBy(c){const t=document.getElementById('results');const rows=[...t.tBodies[0].rows];const up=t.dataset.col==c&&t.dataset.dir!='up';rows.sort((a,b)=>{const x=a.cells[c].textContent,y=b.cells[c].textContent;const d=isNaN(x)||isNaN(y)?x.localeCompare(y):x-y;return up?-d:d});t.dataset.col=c;t.dataset.dir=up?'up':'down';rows.forEach(r=>t.tBodies[0].appendChild(r))}</script>
</head><body>
<h1>${escapeHtml(report.title)}</h1>
<p><code>${escapeHtml(report.command)}</code>: ${rows.length} trials, ${(rows.reduce((total, row) => total + row.seconds, 0) / 60).toFixed(1)} minutes of training${report.wallSeconds === null ? '' : `; this run of the command took ${(report.wallSeconds / 60).toFixed(1)} minutes (a resumed sweep's run skips the trials already finished)`}.</p>
<p>${headline}</p>
${report.missing.length ? `<p><strong>Missing trials</strong> (no finished result in the merged folders): ${report.missing.map(escapeHtml).join(', ')}</p>` : ''}
<h2>Reconstruction quality against latent size</h2>
${scatterSvg(rows, 'test_loss', 'test loss (binary cross-entropy)')}
${scatterSvg(rows, 'psnr', 'test PSNR (dB)')}
${scatterSvg(rows, 'binary_accuracy', 'binary accuracy')}
<p>Latent size is C x H x W of the encoder's output, from the real shapes. The notebook's formula (the <code>notebook_latent_size</code> column) divided by the compression twice where the model pools once, and once where it pools twice.</p>
<h2>Best and worst</h2>
${figure(byLoss[0], 'best by test loss')}${figure(byLoss.at(-1), 'worst by test loss')}
${figure(byAccuracy[0], 'best by binary accuracy')}${figure(byAccuracy.at(-1), 'worst by binary accuracy')}
<p>Binary accuracy says little here: it compares the prediction rounded at 0.5 with the target, and a target pixel in [0, 1] can only equal a rounded value where it is exactly 0 or 1, so it ranks trials by how they treat the few saturated pixels, not by how well they reconstruct.</p>
${
  report.best
    ? bestSection(
        report.best,
        rows.find((row) => row.name === report.best!.trial),
        report.reconstructions.get(report.best.trial),
      )
    : ''
}
<h2>Every trial</h2><p>Click a column to sort. The same rows are in results.csv and results.json.</p>
<table id="results"><thead>${header}</thead><tbody>
${body}
</tbody></table>
</body></html>
`;
}
