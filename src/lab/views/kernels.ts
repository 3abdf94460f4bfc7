// The Kernels view: the kernel benchmark (src/benchmarks/kernel-bench.ts, what `npm run bench:kernels`
// runs) on this browser's GPU: every op's forward and backward at the notebook's shapes, in
// milliseconds, GFLOP/s or GB/s, and the share of plain kernels measured in the page (the
// plain matmul and the copy, and beside each conv pass the plain direct conv at its shape); as
// a table and a bar chart, downloadable as JSON in bench/results/kernels.json's format.
import type { Engine } from '../../backend/engine.ts';
import { createEngine } from '../../kernels/registry.ts';
import {
  KernelBench,
  notebookWorkloads,
  type KernelBenchOptions,
  type KernelRecord,
  type Workload,
} from '../../benchmarks/kernel-bench.ts';
import { barChart, element } from '../draw.ts';
import { describeVariant, showVariant } from '../../kernels/show.ts';

/** Smaller ceilings than the command line's (1,024^3, 16 M elements): a page measures them in seconds. */
const PAGE_OPTIONS: KernelBenchOptions = { matmulSize: 512, copyElements: 4 * 1024 * 1024, tune: false };

const COLUMNS = ['batch', 'shape', 'pass', 'ms', 'rate', 'share of ceiling', 'share of plain conv beside'];

export class KernelsView {
  readonly root = element('section', { id: 'kernels', class: 'view' });
  private readonly batch = element(
    'select',
    { id: 'kernels-batch' },
    element('option', { value: '32' }, 'batch 32'),
    element('option', { value: '256' }, 'batch 256'),
  );
  private readonly tuneBox = element('input', { type: 'checkbox', id: 'kernels-tune' });
  private readonly status = element('p', { class: 'status', id: 'kernels-status' }, 'not run yet');
  private readonly body = element('tbody');
  private readonly chart = element('div', { id: 'kernels-chart' });
  private readonly download = element(
    'button',
    { type: 'button', id: 'kernels-download', disabled: '' },
    'Download JSON',
  );
  /** Every pipeline the runs compiled, to print one's WGSL as compiled (kernels/show.ts). */
  private readonly pipelines = element('select', { id: 'kernels-pipeline' });
  private readonly showWgsl = element('button', { type: 'button', id: 'kernels-show-wgsl', disabled: '' }, 'Show WGSL');
  private readonly wgslText = element('pre', { id: 'kernels-wgsl', class: 'wgsl' });
  private records: KernelRecord[] = [];
  private running = false;
  /** An engine of its own: the training session's work must not run between the timings. */
  private engine: Engine | null = null;

  constructor() {
    const runAll = element('button', { type: 'button', id: 'kernels-run-all' }, 'Run every row');
    runAll.onclick = () => void this.run(notebookWorkloads(Number(this.batch.value)));
    this.download.onclick = () => this.save();
    this.batch.onchange = () => this.listRows();
    this.showWgsl.onclick = () => {
      const variant = this.engine?.kernels.compiled[Number(this.pipelines.value)];
      if (variant) this.wgslText.textContent = showVariant(this.engine!, variant);
    };
    this.root.append(
      element('h2', {}, 'Kernels'),
      element(
        'p',
        {},
        `Each op's passes at the notebook autoencoder's shapes on this GPU, the fastest of several timings, against plain, stand-alone kernels measured in this page: a plain matmul (${PAGE_OPTIONS.matmulSize}^3, before and after) for compute-bound passes, a copy (${PAGE_OPTIONS.copyElements.toLocaleString('en-US')} floats) for the rest, and beside each conv pass a plain direct conv at its shape, timed in alternation with it. Without tuning the conv passes run the kernels' heuristic variants.`,
      ),
      element(
        'div',
        { class: 'controls' },
        this.batch,
        element('label', {}, this.tuneBox, ' tune the conv variants first (slow)'),
        runAll,
        this.download,
      ),
      this.status,
      element(
        'table',
        { id: 'kernels-table' },
        element(
          'thead',
          {},
          element('tr', {}, element('th', {}, ''), ...COLUMNS.map((column) => element('th', {}, column))),
        ),
        this.body,
      ),
      this.chart,
      element('h3', {}, 'The WGSL that ran'),
      element(
        'p',
        {},
        'Each pipeline the timings compiled, exactly as compiled on this GPU: includes, generated loops, the variant’s constants and unrolling. Every line ends with the file and line that wrote it.',
      ),
      element('div', { class: 'controls' }, this.pipelines, this.showWgsl),
      this.wgslText,
    );
    this.listRows();
  }

  /** One table row per workload, each with a button that times it alone. */
  private listRows(): void {
    const batch = Number(this.batch.value);
    this.body.replaceChildren(
      ...notebookWorkloads(batch).map((workload, index) => {
        const button = element('button', { type: 'button', class: 'run-row', 'data-row': String(index) }, '▶');
        button.onclick = () => void this.run([workload]);
        return element(
          'tr',
          { 'data-workload': workload.label },
          element('td', {}, button),
          element('td', {}, String(batch)),
          element('td', {}, workload.label),
          element('td', { colspan: '5', class: 'muted' }, 'not timed'),
        );
      }),
    );
  }

  private async run(workloads: readonly Workload[]): Promise<void> {
    if (this.running) return;
    this.running = true;
    const batch = Number(this.batch.value);
    try {
      const options = { ...PAGE_OPTIONS, tune: this.tuneBox.checked };
      this.status.textContent = 'measuring the ceilings';
      this.engine ??= await createEngine();
      const bench = await KernelBench.create(this.engine, options);
      for (const workload of workloads) {
        this.status.textContent = `timing ${workload.label}`;
        await bench.measure(workload, batch);
      }
      const { records } = await bench.finish();
      this.records = records;
      this.show(records, workloads);
      this.status.textContent = `${bench.describe(bench.ceilingsBefore)} · ${this.engine.adapterDescription}`;
      this.status.dataset['rows'] = String(records.length - 3);
      this.download.disabled = false;
      this.pipelines.replaceChildren(
        ...this.engine.kernels.compiled.map((variant, index) =>
          element('option', { value: String(index) }, `${variant.label} (${describeVariant(variant)})`),
        ),
      );
      this.showWgsl.disabled = false;
    } catch (error) {
      this.status.textContent = `the benchmark stopped: ${(error as Error).message}`;
    } finally {
      this.running = false;
    }
  }

  private show(records: readonly KernelRecord[], workloads: readonly Workload[]): void {
    for (const workload of workloads) {
      const row = [...this.body.querySelectorAll('tr')].find((tr) => tr.dataset['workload'] === workload.label);
      if (!row) continue;
      const passes = records.filter((record) => record.shape === workload.label && record.batch > 0);
      const cells = (record: KernelRecord) => [
        record.pass,
        record.milliseconds.toFixed(3),
        record.gflops !== undefined
          ? `${record.gflops.toFixed(2)} GFLOP/s`
          : `${record.gigabytesPerSecond!.toFixed(2)} GB/s`,
        `${(100 * record.shareOfCeiling).toFixed(1)}%`,
        record.shareOfPlainConvBeside === undefined ? '-' : `${(100 * record.shareOfPlainConvBeside).toFixed(1)}%`,
      ];
      const [first, ...others] = passes;
      if (!first) continue;
      row.replaceChildren(
        ...[...row.children].slice(0, 3),
        ...cells(first).map((cell) => element('td', { class: 'timed' }, cell)),
      );
      row.after(
        ...others.map((record) =>
          element(
            'tr',
            { class: 'pass-row' },
            element('td'),
            element('td'),
            element('td'),
            ...cells(record).map((cell) => element('td', { class: 'timed' }, cell)),
          ),
        ),
      );
    }
    this.chart.replaceChildren(
      barChart(
        records
          .filter((record) => record.batch > 0)
          .map((record) => ({ label: `${record.shape} ${record.pass}`, value: record.shareOfCeiling })),
      ),
    );
  }

  private save(): void {
    const link = element('a', {
      href: URL.createObjectURL(new Blob([JSON.stringify(this.records, null, 2) + '\n'], { type: 'application/json' })),
      download: 'kernels.json',
    });
    document.body.append(link);
    link.click();
    link.remove();
  }
}
