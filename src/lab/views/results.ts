// The Results view: a run folder written by `aelab autoencoder`, `aelab sweep` or
// `aelab colourise`, chosen from disk, shown with the charts its report draws: the loss per
// epoch (history.csv), a sweep's test loss and accuracy against the latent size with their
// regression lines (results.json), the metrics, and the folder's pictures.
import { lossChartSvg, parseHistoryCsv } from '../../experiments/report.ts';
import { scatterSvg, type TrialRow } from '../../experiments/sweep-report.ts';
import { element } from '../draw.ts';

/** The folder's top-level files by name (a chosen folder lists every file under it). */
function topLevel(files: readonly File[]): Map<string, File> {
  return new Map(
    files.flatMap((file) => {
      const parts = (file.webkitRelativePath || file.name).split('/');
      return parts.length <= 2 ? [[parts.at(-1)!, file] as const] : [];
    }),
  );
}

export class ResultsView {
  readonly root = element('section', { id: 'results', class: 'view' });
  private readonly input = element('input', { type: 'file', id: 'results-folder', webkitdirectory: '', multiple: '' });
  private readonly output = element('div', { id: 'results-output' });

  constructor(private readonly message: (text: string, kind?: 'error' | 'note') => void) {
    this.input.onchange = () =>
      void this.open(Array.from(this.input.files ?? [])).catch((error) =>
        this.message((error as Error).message, 'error'),
      );
    this.root.append(
      element('h2', {}, 'Results'),
      element(
        'p',
        {},
        'A run folder of aelab autoencoder, aelab sweep or aelab colourise (runs/part1, runs/sweep, ...): its charts, metrics and pictures.',
      ),
      element('label', {}, 'Run folder ', this.input),
      this.output,
    );
  }

  async open(files: readonly File[]): Promise<void> {
    const named = topLevel(files);
    const folder = (files[0]?.webkitRelativePath ?? '').split('/')[0] || 'the folder';
    const parts: Node[] = [element('h3', {}, folder)];
    const results = named.get('results.json');
    const history = named.get('history.csv');
    if (results) {
      const { trials } = JSON.parse(await results.text()) as { trials: TrialRow[] };
      if (!Array.isArray(trials) || trials.length === 0) throw new Error(`${folder}/results.json: no trials`);
      const sorted = [...trials].sort((a, b) => a.test_loss - b.test_loss);
      parts.push(
        element(
          'p',
          { class: 'sweep-summary' },
          `${trials.length} trials; best ${sorted[0]!.name} (test loss ${sorted[0]!.test_loss.toFixed(4)}), worst ${sorted.at(-1)!.name} (${sorted.at(-1)!.test_loss.toFixed(4)})`,
        ),
        this.svg(scatterSvg(trials, 'test_loss', 'test loss')),
        this.svg(scatterSvg(trials, 'binary_accuracy', 'binary accuracy')),
      );
    }
    if (history)
      parts.push(this.svg(lossChartSvg(parseHistoryCsv(await history.text(), `${folder}/history.csv`), 'loss')));
    const metrics = named.get('metrics.json');
    if (metrics)
      parts.push(element('pre', { class: 'summary' }, JSON.stringify(JSON.parse(await metrics.text()), null, 2)));
    const pictures = [...named.entries()].filter(([name]) => name.endsWith('.png'));
    for (const [name, file] of pictures)
      parts.push(
        element(
          'figure',
          {},
          element('img', { src: URL.createObjectURL(file), alt: name }),
          element('figcaption', {}, name),
        ),
      );
    if (!results && !history && !metrics)
      throw new Error(`${folder}: no results.json, history.csv or metrics.json at its top; not a run folder of aelab`);
    this.output.replaceChildren(...parts);
    this.output.dataset['kind'] = results ? 'sweep' : history ? 'autoencoder' : 'colourise';
  }

  /** Our own charts' SVG text (their labels escaped where they are drawn). */
  private svg(markup: string): HTMLElement {
    const box = element('div', { class: 'chart' });
    box.innerHTML = markup;
    return box;
  }
}
