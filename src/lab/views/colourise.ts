// The Colourise view (Part 3): get a colouriser, by training one here on the loaded images
// (ycbcr or difference, a few epochs) or by picking a model folder that 'aelab colourise'
// wrote; then drop or pick a picture of any size and see it gray, in the model's colours and
// as it was, with the PSNR of each against the original.
import { DataError } from '../../data/image-set.ts';
import { element, imageCanvas } from '../draw.ts';
import { decodePicture } from '../data.ts';
import {
  colourise,
  colouriserFromFolder,
  disposeColouriser,
  PAGE_METHODS,
  trainColouriser,
  type Colouriser,
} from '../colouriser.ts';
import { pageYielder, type TrainingSession } from '../session.ts';

/** The longest side a picture is colourised at: larger ones are scaled down first. */
export const WORKING_SIDE = 512;

export interface ColouriseHost {
  session(): TrainingSession | null;
  message(text: string, kind?: 'error' | 'note'): void;
}

export class ColouriseView {
  readonly root = element('section', { id: 'colourise', class: 'view' });
  private readonly method = element(
    'select',
    { id: 'colourise-method' },
    ...PAGE_METHODS.map((name) => element('option', { value: name }, name)),
  );
  private readonly epochs = element('input', { id: 'colourise-epochs', value: '3', size: '3' });
  private readonly status = element('p', { class: 'status', id: 'colourise-status' }, 'no colouriser yet');
  private readonly folder = element('input', { id: 'colourise-folder', type: 'file', webkitdirectory: '' });
  private readonly picture = element('input', { id: 'colourise-picture', type: 'file', accept: 'image/*' });
  private readonly drop = element(
    'div',
    { id: 'colourise-drop', class: 'dropzone' },
    `Drop a picture here (PNG or JPEG, any size; over ${WORKING_SIDE} pixels it is scaled down first)`,
  );
  private readonly output = element('div', { id: 'colourised', class: 'colourised' });
  private colouriser: Colouriser | null = null;

  constructor(private readonly host: ColouriseHost) {
    const train = element('button', { id: 'colourise-train', type: 'button' }, 'Train a colouriser here');
    train.onclick = () => void this.train();
    this.folder.onchange = () => void this.loadFolder();
    this.picture.onchange = () => {
      const file = this.picture.files?.[0];
      this.picture.value = '';
      if (file) void this.show(file);
    };
    this.drop.addEventListener('dragover', (event) => {
      event.preventDefault();
      this.drop.classList.add('over');
    });
    this.drop.addEventListener('dragleave', () => this.drop.classList.remove('over'));
    // Handled here: the page's own drop handler would take the picture as training data.
    this.drop.addEventListener('drop', (event) => {
      event.preventDefault();
      event.stopPropagation();
      this.drop.classList.remove('over');
      const file = event.dataTransfer?.files[0];
      if (file) void this.show(file);
    });
    this.root.append(
      element('h2', {}, 'Colourise'),
      element(
        'p',
        {},
        'A colouriser sees only the gray picture and guesses its colours. Train one on the images loaded on the Train tab, or pick a method folder written by ',
        element('code', {}, 'aelab colourise'),
        ' (runs/colourise/ycbcr, say).',
      ),
      element(
        'div',
        { class: 'controls' },
        element('label', {}, 'method ', this.method),
        element('label', {}, 'epochs ', this.epochs),
        train,
        element('label', { class: 'file' }, 'or load a model folder ', this.folder),
      ),
      this.status,
      element('div', { class: 'controls' }, element('label', { class: 'file' }, 'Pick a picture ', this.picture)),
      this.drop,
      this.output,
    );
  }

  private use(colouriser: Colouriser): void {
    disposeColouriser(this.colouriser);
    this.colouriser = colouriser;
    this.status.textContent = `colouriser: ${colouriser.origin}. Drop or pick a picture.`;
    this.status.dataset['ready'] = 'true';
  }

  private async train(): Promise<void> {
    const session = this.host.session();
    if (!session) return this.host.message('no images yet: load some on the Train tab first', 'error');
    const epochs = Number(this.epochs.value);
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > 100)
      return this.host.message(`epochs: ${this.epochs.value} is not a whole number from 1 to 100`, 'error');
    const name = this.method.value as (typeof PAGE_METHODS)[number];
    delete this.status.dataset['ready'];
    try {
      // Between two of the autoencoder's steps: its training waits while the colouriser trains.
      const colouriser = await session.exclusive(() =>
        trainColouriser(session.engine, session.split, name, {
          epochs,
          batchSize: session.settings.batchSize,
          seed: session.settings.seed,
          beforeStep: pageYielder(),
          onProgress: (progress) =>
            (this.status.textContent = `training the ${name} colouriser: epoch ${progress.epoch} of ${epochs}, step ${progress.step} of ${progress.steps}${progress.loss === null ? '' : `, loss ${progress.loss.toFixed(4)}`}`),
          onEpoch: () => {},
        }),
      );
      this.use(colouriser);
    } catch (error) {
      this.status.textContent = 'no colouriser yet';
      this.host.message(`the colouriser: ${(error as Error).message}`, 'error');
    }
  }

  private async loadFolder(): Promise<void> {
    const session = this.host.session();
    const files = Array.from(this.folder.files ?? []);
    this.folder.value = '';
    if (!session || files.length === 0) return;
    try {
      this.use(await session.exclusive(() => colouriserFromFolder(session.engine, files)));
    } catch (error) {
      this.host.message((error as Error).message, 'error');
    }
  }

  /** Colourises the picture in `file`, shown gray | the model's colours | the original. */
  async show(file: File): Promise<void> {
    const session = this.host.session();
    try {
      if (!this.colouriser || !session) throw new DataError('train a colouriser or load one first');
      if (this.colouriser.engine !== session.engine)
        throw new DataError('the GPU device was replaced since the colouriser was made: train or load it again');
      const decoded = await decodePicture(file, WORKING_SIDE);
      const { height, width } = decoded;
      const data = Float32Array.from(decoded.pixels, (value) => value / 255);
      const colouriser = this.colouriser;
      const result = await session.exclusive(() => colourise(colouriser, { data, count: 1, height, width }));
      const scale = Math.max(1, Math.floor(256 / Math.max(height, width)));
      const figure = (caption: string, values: Float32Array) =>
        element('figure', {}, imageCanvas(values, 0, 3, height, width, scale), element('figcaption', {}, caption));
      const scaled =
        decoded.original.width !== width ? ` (scaled from ${decoded.original.width}x${decoded.original.height})` : '';
      this.output.replaceChildren(
        element('p', {}, `${file.name}: ${width}x${height}${scaled}, colourised by ${colouriser.method.name}`),
        figure(`gray: PSNR ${result.psnr.gray.toFixed(2)} dB`, result.gray),
        figure(`the model's colours: PSNR ${result.psnr.colours.toFixed(2)} dB`, result.colours),
        figure('the original', data),
      );
      Object.assign(this.output.dataset, {
        width: String(width),
        height: String(height),
        psnrColours: String(result.psnr.colours),
        psnrGray: String(result.psnr.gray),
      });
    } catch (error) {
      const text = (error as Error).message;
      this.host.message(text.startsWith(file.name) ? text : `${file.name}: ${text}`, 'error');
    }
  }
}
