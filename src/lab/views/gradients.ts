// The Gradients view: the project's gradient-check suite (every op's cases: GPU against the
// float64 reference, the reference against finite differences; then every conv kernel variant)
// on this browser's GPU, the same suite `aelab check` runs, as a table.
import { createEngine } from '../../kernels/registry.ts';
import { runParitySuite } from '../../checks/suite.ts';
import { CHECK_COLUMNS, checkCells } from '../../checks/table.ts';
import { FLOAT32_TOLERANCE, GRADIENT_CHECK_TOLERANCE } from '../../checks/check.ts';
import { element } from '../draw.ts';

export class GradientsView {
  readonly root = element('section', { id: 'gradients', class: 'view' });
  private readonly run = element('button', { id: 'run-checks', type: 'button' }, 'Run the gradient checks');
  private readonly status = element('p', { class: 'status', id: 'checks-status' }, 'not run yet');
  private readonly body = element('tbody');

  constructor() {
    this.run.onclick = () => void this.check();
    this.root.append(
      element('h2', {}, 'Gradients'),
      element(
        'p',
        {},
        `Every op's test cases on this GPU: its forward and backward against the float64 reference (relative error under ${FLOAT32_TOLERANCE}), the reference's backward against central finite differences (under ${GRADIENT_CHECK_TOLERANCE}), then every conv kernel variant the tuner may choose. The same suite as aelab check and the tests. Buffers start as NaN, so an element a kernel fails to write fails its case.`,
      ),
      element('div', { class: 'controls' }, this.run),
      this.status,
      element(
        'table',
        { id: 'checks-table' },
        element('thead', {}, element('tr', {}, ...CHECK_COLUMNS.map((column) => element('th', {}, column)))),
        this.body,
      ),
    );
  }

  async check(): Promise<void> {
    this.run.disabled = true;
    this.body.replaceChildren();
    try {
      // An engine of its own, poisoned, so the training session's buffers are never touched.
      const engine = await createEngine({ poison: Number.NaN });
      this.status.textContent = `running on ${engine.adapterDescription}`;
      const report = await runParitySuite(engine, {
        onOp: (name) => (this.status.textContent = `checking ${name} on ${engine.adapterDescription}`),
        onRow: (row) =>
          this.body.append(
            element(
              'tr',
              { class: row.passed ? 'pass' : 'fail', title: row.problems.join('\n') },
              ...checkCells(row).map((cell) => element('td', {}, cell)),
            ),
          ),
      });
      this.status.textContent = `${report.passed} passed, ${report.failed} failed on ${engine.adapterDescription}`;
      this.status.dataset['passed'] = String(report.passed);
      this.status.dataset['failed'] = String(report.failed);
      engine.device.destroy();
    } catch (error) {
      this.status.textContent = `the checks could not run: ${(error as Error).message}`;
      this.status.dataset['failed'] = 'error';
    } finally {
      this.run.disabled = false;
    }
  }
}
