// The Train view: build the model from the settings (kept in the URL), play, pause, step and
// reset; the loss chart, images per second, a fixed set of test images beside their
// reconstructions, the model's summary; save and load the weights as .safetensors.
import { summary } from '../../nn/sequential.ts';
import { sizeOf } from '../../shapes.ts';
import { element, imageCanvas, lineChart } from '../draw.ts';
import {
  DEFAULT_SETTINGS,
  parseSetting,
  settingsOfModelName,
  type FormSetting,
  type LabSettings,
} from '../settings.ts';
import type { TrainingSession, SessionState, LossPoint } from '../session.ts';
import type { EpochLog } from '../../nn/training.ts';
import { decodeSafetensors } from '../../nn/safetensors.ts';
import type { LayerModel } from '../../nn/layer-model.ts';
import type { OptimizerName } from '../../nn/optimisers.ts';
import { toFloat } from '../../data/image-set.ts';
import { layerOutputs } from '../inside-capture.ts';
import { ModelDiagram } from './model-diagram.ts';
import { WeightHistograms } from './weight-histograms.ts';

/** What the Train view needs of the page. */
export interface TrainHost {
  session(): TrainingSession | null;
  /** Builds a new session with these settings (the old one is stopped and freed). */
  rebuild(settings: LabSettings): Promise<void>;
  message(text: string, kind?: 'error' | 'note'): void;
  /** Shows layer `index` in the Inside view. */
  openInside(index: number): void;
}

export const SHOWN_TEST_IMAGES = 8;

type Field = { name: FormSetting; label: string; choices?: readonly string[]; sweepOnly?: boolean };

const FIELDS: readonly Field[] = [
  { name: 'model', label: 'model', choices: ['notebook', 'sweep'] },
  { name: 'fewerLayers', label: 'fewer layers', choices: ['false', 'true'], sweepOnly: true },
  { name: 'channelFactor', label: 'channel factor', choices: ['2', '4', '8'], sweepOnly: true },
  { name: 'kernelSize', label: 'kernel size', choices: ['3', '5'], sweepOnly: true },
  { name: 'compression', label: 'compression', choices: ['1', '2', '4'], sweepOnly: true },
  { name: 'optimiser', label: 'optimiser', choices: ['rmsprop', 'adam', 'sgd'] },
  { name: 'learningRate', label: 'learning rate' },
  { name: 'batchSize', label: 'batch size' },
  { name: 'epochs', label: 'epochs' },
  { name: 'sample', label: 'sample' },
  { name: 'seed', label: 'seed' },
];

export class TrainView {
  readonly root = element('section', { id: 'train', class: 'view' });
  private readonly form = element('form', { class: 'settings' });
  private readonly status = element('p', { class: 'status', id: 'train-status' }, 'no model yet');
  private readonly chart = element('div', { class: 'chart', id: 'loss-chart' });
  private readonly pictures = element('div', { class: 'pictures', id: 'reconstructions' });
  private readonly summaryText = element('pre', { class: 'summary', id: 'model-summary' });
  private readonly diagram = new ModelDiagram((index) => this.host.openInside(index));
  private readonly histograms = new WeightHistograms();
  private readonly buttons = {
    play: element('button', { id: 'play', type: 'button' }, 'Play'),
    pause: element('button', { id: 'pause', type: 'button' }, 'Pause'),
    step: element('button', { id: 'step', type: 'button' }, 'Step'),
    reset: element(
      'button',
      { id: 'reset', type: 'button', title: 'a new model with the same seed: the same initial weights' },
      'Rewind',
    ),
    save: element('button', { id: 'save-model', type: 'button' }, 'Save model'),
    saveOnnx: element(
      'button',
      {
        id: 'save-onnx',
        type: 'button',
        title: 'the network as an ONNX graph, for ONNX Runtime and the tools that read it',
      },
      'Save as ONNX',
    ),
  };
  private readonly loadInput = element('input', { id: 'load-model', type: 'file', accept: '.safetensors' });
  private imagesPerSecond: number | null = null;

  constructor(
    private readonly host: TrainHost,
    settings: LabSettings,
  ) {
    for (const field of FIELDS) {
      const value = String(settings[field.name]);
      const control = field.choices
        ? element(
            'select',
            { name: field.name },
            ...field.choices.map((choice) =>
              element('option', { value: choice, ...(choice === value ? { selected: '' } : {}) }, choice),
            ),
          )
        : element('input', { name: field.name, value, size: '7' });
      this.form.append(element('label', field.sweepOnly ? { class: 'sweep-only' } : {}, `${field.label} `, control));
    }
    const apply = element('button', { type: 'submit', id: 'apply' }, 'Build model');
    this.form.append(apply);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.applyForm();
    });
    this.form.addEventListener('change', () => this.showSweepFields());
    // The learning rate applies at once, to the running session, with no reset.
    const rate = this.form.elements.namedItem('learningRate') as HTMLInputElement;
    rate.addEventListener('change', () => this.changeLearningRate(rate.value));
    // So does the optimiser: its state starts afresh, the weights stay.
    const optimiser = this.form.elements.namedItem('optimiser') as HTMLSelectElement;
    optimiser.addEventListener('change', () => void this.changeOptimiser(optimiser.value as OptimizerName));
    this.buttons.play.onclick = () => this.host.session()?.play();
    this.buttons.pause.onclick = () => this.host.session()?.pause();
    this.buttons.step.onclick = () => this.host.session()?.step();
    this.buttons.reset.onclick = () => void this.reset();
    this.buttons.save.onclick = () => void this.save();
    this.buttons.saveOnnx.onclick = () => void this.saveOnnx();
    this.loadInput.onchange = () => void this.load();
    this.root.append(
      element('h2', {}, 'Train'),
      this.form,
      element(
        'div',
        { class: 'controls' },
        ...Object.values(this.buttons),
        element('label', { class: 'file' }, 'Load model ', this.loadInput),
      ),
      this.status,
      element(
        'div',
        { class: 'row' },
        this.chart,
        element('div', {}, element('h3', {}, 'test images (top) and reconstructions (bottom)'), this.pictures),
      ),
      element('h3', {}, "the model, live: each layer's output for the first test image (click a layer to look inside)"),
      this.diagram.root,
      element('h3', {}, 'conv weights, live'),
      this.histograms.root,
      element('details', {}, element('summary', {}, 'the model as a table'), this.summaryText),
    );
    this.showSweepFields();
  }

  private showSweepFields(): void {
    const sweep = (this.form.elements.namedItem('model') as HTMLSelectElement).value === 'sweep';
    this.form
      .querySelectorAll<HTMLElement>('.sweep-only')
      .forEach((label) => (label.style.display = sweep ? '' : 'none'));
  }

  private formSettings(): LabSettings {
    const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const field of FIELDS) {
      const control = this.form.elements.namedItem(field.name) as HTMLInputElement | HTMLSelectElement;
      settings[field.name] = parseSetting(field.name, control.value.trim());
    }
    return settings as unknown as LabSettings;
  }

  private async applyForm(): Promise<void> {
    try {
      await this.host.rebuild(this.formSettings());
    } catch (error) {
      this.host.message((error as Error).message, 'error');
    }
  }

  private changeLearningRate(value: string): void {
    const session = this.host.session();
    if (!session) return;
    try {
      const learningRate = parseSetting('learningRate', value.trim()) as number;
      if (learningRate === session.learningRate) return;
      session.setLearningRate(learningRate);
      this.drawChart(session);
      this.host.message(`learning rate ${learningRate} from here on (the weights and the optimiser's state stay)`);
    } catch (error) {
      this.host.message((error as Error).message, 'error');
    }
  }

  private async changeOptimiser(name: OptimizerName): Promise<void> {
    const session = this.host.session();
    if (!session || name === session.optimiserName) return;
    await session.setOptimiser(name);
    this.drawChart(session);
    this.host.message(
      `${name} from here on, at learning rate ${session.learningRate} (the weights stay; its state starts at zero)`,
    );
  }

  private async reset(): Promise<void> {
    const session = this.host.session();
    if (session) await this.host.rebuild(session.settings);
  }

  /** A new session: its summary, an empty chart, its pictures. */
  attach(session: TrainingSession): void {
    this.imagesPerSecond = null;
    (this.form.elements.namedItem('learningRate') as HTMLInputElement).value = String(session.learningRate);
    (this.form.elements.namedItem('optimiser') as HTMLSelectElement).value = session.optimiserName;
    const latent = session.model.latentShape(session.imageShape);
    this.summaryText.textContent = `${summary(session.model, session.imageShape)}\ntraining images: ${session.split.train.count}, validation: ${session.split.validation.count}, test: ${session.split.test.count}`;
    this.summaryText.dataset['latentSize'] = String(sizeOf(latent));
    this.diagram.draw(session.model, session.imageShape);
    this.drawChart(session);
    this.showState(session, session.state);
    void this.refresh(session);
  }

  showState(session: TrainingSession, state: SessionState): void {
    const epoch = session.epochs.at(-1);
    const parts = [
      `${state}`,
      `epoch ${session.epochs.length} of ${session.settings.epochs}`,
      session.losses.length ? `loss ${session.losses.at(-1)!.loss.toFixed(4)}` : null,
      epoch?.validation ? `validation loss ${epoch.validation.loss.toFixed(4)}` : null,
      this.imagesPerSecond !== null ? `${this.imagesPerSecond.toFixed(0)} images/s` : null,
    ];
    this.status.textContent = parts.filter((part) => part !== null).join(' · ');
    this.status.dataset['state'] = state;
    this.status.dataset['epochs'] = String(session.epochs.length);
    this.buttons.play.disabled = state === 'running' || state === 'finished' || state === 'stopped';
    this.buttons.step.disabled = state === 'running' || state === 'finished' || state === 'stopped';
    this.buttons.pause.disabled = state !== 'running';
  }

  onLoss(session: TrainingSession, _point: LossPoint, imagesPerSecond: number | null): void {
    if (imagesPerSecond !== null) this.imagesPerSecond = imagesPerSecond;
    this.drawChart(session);
    this.showState(session, session.state);
  }

  onEpoch(session: TrainingSession, _log: EpochLog): void {
    this.drawChart(session);
    this.showState(session, session.state);
  }

  private drawChart(session: TrainingSession): void {
    const validation = session.epochs
      .filter((log) => log.validation)
      .map((log) => ({ x: log.epoch, y: log.validation!.loss }));
    const training = session.losses.map((point) => ({ x: point.epoch, y: point.loss }));
    this.chart.replaceChildren(
      lineChart(
        [
          { name: 'training loss', colour: '#1f77b4', points: training },
          { name: 'validation loss', colour: '#d62728', points: validation },
        ],
        'epoch',
        520,
        220,
        session.markers,
      ),
    );
    this.chart.dataset['points'] = String(training.length);
  }

  /** Redraws the shown test images' reconstructions, the diagram's maps and the weight histograms from the model as it is now. */
  async refresh(session: TrainingSession): Promise<void> {
    const count = Math.min(SHOWN_TEST_IMAGES, session.split.test.count);
    const indices = Array.from({ length: count }, (_, i) => i);
    const weights = WeightHistograms.weightsOf(session.model);
    const [{ originals, reconstructions }, outputs, weightValues] = await Promise.all([
      session.reconstruct(indices),
      session.exclusive(() =>
        layerOutputs(session.engine, session.model, toFloat(session.split.test, [0]), session.imageShape),
      ),
      session.exclusive(() => session.engine.readAll(weights.map(([, tensor]) => tensor))),
    ]);
    this.diagram.update(originals, outputs);
    this.histograms.update(weights.map(([name], i) => [name, weightValues[i]!]));
    const [channels, height, width] = session.imageShape;
    const scale = Math.max(1, Math.round(64 / height));
    const row = (values: Float32Array) =>
      element('div', { class: 'strip' }, ...indices.map((i) => imageCanvas(values, i, channels, height, width, scale)));
    this.pictures.replaceChildren(row(originals), row(reconstructions));
  }

  private async save(): Promise<void> {
    const session = this.host.session();
    if (!session) return;
    const bytes = await session.saveModel();
    download(bytes, 'model.safetensors');
    this.host.message(
      `saved model.safetensors (${session.name}, ${session.epochs.length} epochs, ${bytes.length.toLocaleString('en-US')} bytes)`,
      'note',
    );
  }

  private async saveOnnx(): Promise<void> {
    const session = this.host.session();
    if (!session) return;
    try {
      const bytes = await session.saveOnnx();
      download(bytes, 'model.onnx');
      this.host.message(
        `saved model.onnx (${session.name}, input 'image' [batch, ${session.imageShape.join(', ')}], ${bytes.length.toLocaleString('en-US')} bytes)`,
        'note',
      );
    } catch (error) {
      this.host.message((error as Error).message, 'error');
    }
  }

  /** Loads a model file: the page's own (its settings in the metadata) or the command line's (its model name). */
  private async load(): Promise<void> {
    const file = this.loadInput.files?.[0];
    this.loadInput.value = '';
    const current = this.host.session();
    if (!file || !current) return;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { metadata } = decodeSafetensors(bytes, file.name);
      // An import's layers (aelab import-keras), the page's own settings, or a model name of the command line's.
      const { layers: _, ...base } = current.settings;
      const named = metadata['aelab.layers']
        ? { ...base, layers: JSON.parse(metadata['aelab.layers']) as LayerModel }
        : metadata['aelab.lab']
          ? { ...base, ...(JSON.parse(metadata['aelab.lab']) as Partial<LabSettings>) }
          : settingsOfModelName(metadata['model'] ?? '', base);
      const settings = named ?? current.settings;
      if (JSON.stringify(settings) !== JSON.stringify(current.settings)) await this.host.rebuild(settings);
      const session = this.host.session()!;
      await session.loadModel(bytes, file.name);
      await this.refresh(session);
      this.host.message(
        `loaded ${file.name} (${metadata['model'] ?? 'model'}${metadata['epochs'] ? `, ${metadata['epochs']} epochs` : ''})`,
        'note',
      );
    } catch (error) {
      this.host.message(`${(error as Error).message}`, 'error');
    }
  }
}

/** Hands `bytes` to the browser as a download named `name`. */
function download(bytes: Uint8Array, name: string): void {
  const link = element('a', {
    href: URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' })),
    download: name,
  });
  document.body.append(link);
  link.click();
  link.remove();
}
