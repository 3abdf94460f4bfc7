// The lab page's entry: the WebGPU engine, the images, the views as tabs, and the training
// session they share. The settings live in the URL's query and the view in its hash.
import { createEngine } from '../kernels/registry.ts';
import type { Engine } from '../backend/engine.ts';
import { GpuMemoryError } from '../errors.ts';
import type { ImageSet } from '../data/image-set.ts';
import { fetchServedBatches, readDroppedFiles } from './data.ts';
import { element } from './draw.ts';
import { settingsFromQuery, settingsQuery, type LabSettings } from './settings.ts';
import { TrainingSession, type SessionResume } from './session.ts';
import { loadStoredTuning, storeTuning } from './tuning-store.ts';
import { TrainView } from './views/train.ts';
import { InsideView } from './views/inside.ts';
import { GradientsView } from './views/gradients.ts';
import { ColouriseView } from './views/colourise.ts';
import { KernelsView } from './views/kernels.ts';
import { ResultsView } from './views/results.ts';

const byId = (id: string) => document.getElementById(id)!;

function message(text: string, kind: 'error' | 'note' = 'note'): void {
  const box = byId('message');
  box.textContent = text;
  box.className = kind;
  if (kind === 'error') console.warn(`aelab lab: ${text}`);
}

/** What to do where the browser has no WebGPU: say so, and what to enable. */
function noWebGpu(why: string): void {
  byId('views').replaceChildren(
    element(
      'div',
      { class: 'noGpu', id: 'no-webgpu' },
      element('h2', {}, 'This page needs WebGPU'),
      element('p', {}, why),
      element(
        'p',
        {},
        'Chrome and Edge 113+ have it on Windows, macOS and ChromeOS. On Linux, open chrome://flags and enable "Unsafe WebGPU Support" (#enable-unsafe-webgpu) and "Vulkan" (#enable-vulkan), or start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan. Firefox 141+ and Safari 26+ have it on some systems.',
      ),
    ),
  );
  byId('data-status').textContent = 'no WebGPU';
}

class Lab {
  private current: TrainingSession | null = null;
  private sets: readonly ImageSet[] = [];
  private readonly views: Record<string, { root: HTMLElement; shown?: () => void }>;
  readonly train: TrainView;
  readonly inside: InsideView;

  /** Devices lost and replaced so far (the browser test reads it). */
  devicesLost = 0;

  constructor(
    private engineInUse: Engine,
    private settings: LabSettings,
  ) {
    this.watch(engineInUse);
    this.train = new TrainView(
      {
        session: () => this.current,
        rebuild: (next) => this.rebuild(next),
        message,
        openInside: (index) => {
          this.inside.focus(index);
          if (location.hash === '#inside') void this.inside.show();
          else location.hash = 'inside';
        },
      },
      settings,
    );
    this.inside = new InsideView(() => this.current);
    const gradients = new GradientsView();
    this.views = {
      train: { root: this.train.root },
      inside: {
        root: this.inside.root,
        shown: () => void this.inside.show().catch((error) => message((error as Error).message, 'error')),
      },
      colourise: { root: new ColouriseView({ session: () => this.current, message }).root },
      gradients: { root: gradients.root },
      kernels: { root: new KernelsView().root },
      results: { root: new ResultsView(message).root },
    };
    byId('views').replaceChildren(...Object.values(this.views).map((view) => view.root));
    byId('tabs').replaceChildren(
      ...Object.keys(this.views).map((name) => {
        const button = element(
          'button',
          { type: 'button', id: `tab-${name}`, 'aria-selected': 'false' },
          name[0]!.toUpperCase() + name.slice(1),
        );
        button.onclick = () => (location.hash = name);
        return button;
      }),
    );
    addEventListener('hashchange', () => this.showView());
    this.showView();
  }

  showView(): void {
    const name = location.hash.slice(1) in this.views ? location.hash.slice(1) : 'train';
    for (const [key, view] of Object.entries(this.views)) {
      view.root.classList.toggle('shown', key === name);
      byId(`tab-${key}`).setAttribute('aria-selected', String(key === name));
    }
    this.views[name]!.shown?.();
  }

  session(): TrainingSession | null {
    return this.current;
  }

  get engine(): Engine {
    return this.engineInUse;
  }

  /**
   * A lost device is a normal event in a browser (a driver reset, a crashed GPU process, memory
   * pressure): the page says so, gets a new device, and the training goes on from the last
   * finished epoch's weights, which the session keeps in memory. It does not reload.
   */
  private watch(engine: Engine): void {
    engine.device.onuncapturederror = (event) => {
      const { error } = event as GPUUncapturedErrorEvent;
      message(
        error instanceof GPUOutOfMemoryError
          ? `the GPU ran out of memory (${error.message}): a smaller batch size (now ${this.settings.batchSize}) needs less`
          : `the GPU reported an error: ${error.message}`,
        'error',
      );
    };
    void engine.device.lost.then((info) => {
      if (engine === this.engineInUse) void this.recover(info);
    });
  }

  private async recover(info: GPUDeviceLostInfo): Promise<void> {
    const session = this.current;
    const wasRunning = session?.state === 'running';
    const resume = session?.resumePoint() ?? null;
    const from = resume ? `epoch ${resume.epochs.length}` : 'the initial weights';
    message(
      `the GPU device was lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''}); getting a new one, and going on from ${from}`,
      'error',
    );
    this.current = null;
    await session?.stop();
    try {
      this.engineInUse = await createEngine();
    } catch (error) {
      return message(
        `the GPU device was lost and no new one could be had: ${(error as Error).message}; reload the page`,
        'error',
      );
    }
    this.watch(this.engineInUse);
    await loadStoredTuning(this.engineInUse).catch(() => 0);
    this.devicesLost += 1;
    await this.rebuild(this.settings, resume);
    if (wasRunning) this.session()?.play();
    message(`a new GPU device is in use; training ${wasRunning ? 'goes on' : 'can go on'} from ${from}`, 'note');
  }

  async useImages(sets: readonly ImageSet[], source: string): Promise<void> {
    this.sets = sets;
    const count = sets.reduce((total, set) => total + set.count, 0);
    const [{ channels, height, width }] = sets as [ImageSet];
    byId('data-status').textContent =
      `${source}: ${count.toLocaleString('en-US')} images of ${channels}x${height}x${width}`;
    await this.rebuild(this.settings);
  }

  /** A new session with `settings` (the old one stopped and freed); the URL follows. */
  async rebuild(settings: LabSettings, resume: SessionResume | null = null): Promise<void> {
    if (this.sets.length === 0) throw new Error('no images yet: drop CIFAR-10 batches or pictures on the page');
    const next: TrainingSession = new TrainingSession(
      this.engine,
      settings,
      this.sets,
      {
        onState: (state) => this.train.showState(next, state),
        onLoss: (point, rate) => this.train.onLoss(next, point, rate),
        onEpoch: (log) => this.train.onEpoch(next, log),
        onRefresh: (): Promise<void> => this.train.refresh(next),
        onError: (error) =>
          message(
            error instanceof GpuMemoryError
              ? `batch size ${settings.batchSize} does not fit this GPU (${error.message}): choose a smaller batch size and build the model again`
              : `training stopped: ${(error as Error).message}`,
            'error',
          ),
        // The engine's lost promise (watch) replaces the device; the session only stops.
        onDeviceLost: () => {},
      },
      resume,
    );
    const previous = this.current;
    this.current = null;
    if (previous) {
      await previous.stop();
      previous.dispose();
    }
    this.current = next;
    this.settings = settings;
    const query = settingsQuery(settings).toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
    this.train.attach(next);
    this.tuneInBackground(next);
    if (location.hash === '#inside') await this.inside.show();
  }

  /**
   * Times the new session's kernel variants while it does not train, storing the table in this
   * browser as it goes (tuning-store.ts): what a second visit starts from.
   */
  private tuneInBackground(session: TrainingSession): void {
    const status = byId('tuning-status');
    const store = () =>
      void storeTuning(this.engine).catch((error) =>
        message(`the tuning could not be stored: ${(error as Error).message}`, 'error'),
      );
    session
      .tuneInBackground(
        (done, total) =>
          (status.textContent = `tuning the kernels for this GPU while idle: ${done} of ${total} dispatches timed`),
        store,
      )
      .then(
        (outcome) => {
          status.dataset['tuning'] = outcome;
          status.textContent =
            outcome === 'tuned'
              ? `kernels tuned for this GPU: ${this.engine.tuning.size} dispatches, kept in this browser`
              : 'kernel tuning paused while training runs (it goes on when a new model is built)';
        },
        (error) => message(`kernel tuning stopped: ${(error as Error).message}`, 'error'),
      );
  }
}

/** Light or dark: the system's choice until the header's switch is used, then the one chosen (kept in this browser). */
function themeSwitch(): void {
  const root = document.documentElement;
  const button = byId('theme');
  const dark = () =>
    root.dataset['theme'] ? root.dataset['theme'] === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  const show = () => (button.textContent = dark() ? 'Light' : 'Dark');
  const kept = localStorage.getItem('aelab-theme');
  if (kept === 'light' || kept === 'dark') root.dataset['theme'] = kept;
  button.onclick = () => {
    root.dataset['theme'] = dark() ? 'light' : 'dark';
    localStorage.setItem('aelab-theme', root.dataset['theme']);
    show();
  };
  show();
}

async function start(): Promise<void> {
  themeSwitch();
  if (!('gpu' in navigator)) return noWebGpu('This browser does not offer WebGPU (navigator.gpu is missing).');
  let settings: LabSettings;
  try {
    settings = settingsFromQuery(location.search);
  } catch (error) {
    message(`the link's settings: ${(error as Error).message}; using the defaults`, 'error');
    settings = settingsFromQuery('');
  }
  let engine: Engine;
  try {
    engine = await createEngine();
  } catch (error) {
    return noWebGpu(`WebGPU is there, but no device could be had: ${(error as Error).message}`);
  }
  // Tunings this browser kept for this adapter: the sessions start at tuned speed.
  const adopted = await loadStoredTuning(engine).catch(() => 0);
  byId('tuning-status').dataset['adopted'] = String(adopted);
  if (adopted > 0)
    byId('tuning-status').textContent = `kernels tuned for this GPU on an earlier visit: ${adopted} dispatches`;
  const lab = new Lab(engine, settings);
  (globalThis as { aelabLab?: Lab }).aelabLab = lab;
  addEventListener('dragover', (event) => event.preventDefault());
  addEventListener('drop', (event) => {
    event.preventDefault();
    const files = Array.from(event.dataTransfer?.files ?? []);
    void readDroppedFiles(files)
      .then((images) =>
        lab.useImages(images.sets, images.source).then(() => message(`now training on ${images.source}`, 'note')),
      )
      .catch((error) => message((error as Error).message, 'error'));
  });
  const served = await fetchServedBatches((line) => (byId('data-status').textContent = line)).catch((error) => {
    message(`the server's data: ${(error as Error).message}`, 'error');
    return null;
  });
  if (served) await lab.useImages(served.sets, served.source);
  else
    byId('data-status').textContent = 'no images yet: drop CIFAR-10 .bin batches or pictures of one size on the page';
  byId('data-status').dataset['ready'] = 'true';
}

start().catch((error) => message(`the lab could not start: ${(error as Error).message}`, 'error'));
