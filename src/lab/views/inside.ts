// The Inside view: for a chosen test image, every layer's output maps (one tile per channel),
// every conv's filters and the latent code, read from the engine's buffers of the current
// model; or the same views of dL/d(output) and dL/d(weight) for the batch of shown test
// images. Clicking a pixel of a layer's map works that value out: a conv's window, weights,
// products, sum, bias and ReLU beside the GPU's and the float64 reference's values; a
// max-pool's window and its winner; an upsample's source.
import type { Tensor } from '../../backend/tensor.ts';
import { toFloat } from '../../data/image-set.ts';
import { Conv2d, MaxPool2d, Upsample2d } from '../../nn/modules.ts';
import { formatShape } from '../../shapes.ts';
import { element, imageCanvas, mapCanvas } from '../draw.ts';
import {
  convStep,
  modelInternals,
  plainConvDifference,
  poolStep,
  upsampleSource,
  type LayerInternals,
} from '../inside-capture.ts';
import type { TrainingSession } from '../session.ts';
import { SHOWN_TEST_IMAGES } from './train.ts';

const TILE_PIXELS = 72;
const fixed = (value: number) => (Math.abs(value) < 1e-3 && value !== 0 ? value.toExponential(3) : value.toFixed(5));

export class InsideView {
  readonly root = element('section', { id: 'inside', class: 'view' });
  private readonly picker = element('div', { class: 'strip picker', id: 'inside-images' });
  private readonly mode = element(
    'select',
    { id: 'inside-mode' },
    element('option', { value: 'values' }, 'activations and filters'),
    element('option', { value: 'gradients' }, 'gradients dL/d(output), dL/d(weight)'),
  );
  private readonly layersBox = element('div', { id: 'layers' });
  private readonly stepBox = element(
    'div',
    { id: 'step-through', class: 'step' },
    "click a pixel of a layer's map to see how it was computed",
  );
  private chosen = 0;
  /** The layer to scroll to and mark once drawn (the model diagram's click), or null. */
  private focused: number | null = null;
  private internals: LayerInternals[] = [];
  private weights = new Map<Conv2d<Tensor>, { weight: Float32Array; bias: Float32Array | null }>();

  constructor(private readonly session: () => TrainingSession | null) {
    const refresh = element('button', { id: 'inside-refresh', type: 'button' }, 'Read the model again');
    refresh.onclick = () => void this.show();
    this.mode.onchange = () => this.drawLayers();
    this.root.append(
      element('h2', {}, 'Inside'),
      element(
        'p',
        {},
        "The values in the engine's buffers for the current model, layer by layer (no fusions), for the chosen test image. Gradients are of the binary cross-entropy over the batch of the shown test images.",
      ),
      this.picker,
      element('div', { class: 'controls' }, this.mode, refresh),
      this.stepBox,
      this.layersBox,
    );
  }

  /** Reads every layer of the current model for the chosen image (between training steps if training runs). */
  async show(): Promise<void> {
    const session = this.session();
    if (!session) return;
    const test = session.split.test;
    const count = Math.min(SHOWN_TEST_IMAGES, test.count);
    const [channels, height, width] = session.imageShape;
    const order = [this.chosen, ...Array.from({ length: count }, (_, i) => i).filter((i) => i !== this.chosen)];
    const images = toFloat(test, order);
    const thumbnails = Array.from({ length: count }, (_, i) => {
      const canvas = imageCanvas(images, order.indexOf(i), channels, height, width, 2);
      canvas.className = i === this.chosen ? 'chosen' : '';
      canvas.onclick = () => {
        this.chosen = i;
        void this.show();
      };
      return canvas;
    });
    this.picker.replaceChildren(...thumbnails);
    [this.internals, this.weights] = await session.exclusive(async () => {
      const internals = await modelInternals(session.engine, session.model, images, [count, channels, height, width]);
      const convs = internals
        .map(({ layer }) => layer)
        .filter((layer): layer is Conv2d<Tensor> => layer instanceof Conv2d);
      const values = await session.engine.readAll(
        convs.flatMap((conv) => (conv.bias ? [conv.weight, conv.bias] : [conv.weight])),
      );
      const weights = new Map<Conv2d<Tensor>, { weight: Float32Array; bias: Float32Array | null }>();
      for (const conv of convs)
        weights.set(conv, { weight: values.shift()!, bias: conv.bias ? values.shift()! : null });
      return [internals, weights] as const;
    });
    this.drawLayers();
  }

  /** Shows layer `index` marked and scrolled to, the next time the layers are drawn. */
  focus(index: number): void {
    this.focused = index;
  }

  private drawLayers(): void {
    const gradients = this.mode.value === 'gradients';
    const session = this.session();
    const latentIndex = session ? session.model.encoder.layers.length - 1 : -1;
    this.layersBox.replaceChildren(
      ...this.internals.map((internals, index) => {
        const { layer, part, output } = internals;
        const maps = gradients ? internals.outputGradient : output;
        const title = `${part} ${index + 1}: ${layer.describe()} → ${formatShape(output.shape)}${index === latentIndex ? ' (the latent code)' : ''}`;
        const box = element('div', { class: 'layer', 'data-layer': String(index) }, element('h3', {}, title));
        if (index === this.focused) box.classList.add('focused');
        if (maps) box.append(this.tiles(internals, index, maps.values, gradients));
        else
          box.append(
            element(
              'p',
              { class: 'muted' },
              "the loss is taken from the logits (the sigmoid's input): its output has no gradient of its own",
            ),
          );
        if (layer instanceof Conv2d)
          box.append(this.filters(layer, internals, gradients), this.plainRun(layer, internals));
        return box;
      }),
    );
    this.layersBox.querySelector('.layer.focused')?.scrollIntoView({ block: 'start' });
  }

  private tiles(internals: LayerInternals, index: number, values: Float32Array, signed: boolean): HTMLElement {
    const [channels, height, width] = internals.output.shape as [number, number, number];
    const scale = Math.max(1, Math.floor(TILE_PIXELS / height));
    const strip = element('div', { class: 'strip maps' });
    for (let channel = 0; channel < channels; channel++) {
      const { canvas, low, high } = mapCanvas(values, channel * height * width, height, width, scale, signed);
      canvas.title = `channel ${channel}: ${fixed(low)} to ${fixed(high)}`;
      canvas.dataset['channel'] = String(channel);
      canvas.onclick = (event) => {
        const box = canvas.getBoundingClientRect();
        const x = Math.min(width - 1, Math.floor(((event.clientX - box.left) / box.width) * width));
        const y = Math.min(height - 1, Math.floor(((event.clientY - box.top) / box.height) * height));
        this.explain(index, channel, y, x);
      };
      strip.append(canvas);
    }
    return strip;
  }

  /** A button that runs the conv again with the plain kernel and says how far its output is from the layer's. */
  private plainRun(layer: Conv2d<Tensor>, internals: LayerInternals): HTMLElement {
    const result = element('span', { class: 'result plain-result' });
    const button = element('button', { type: 'button', class: 'plain-run' }, 'Run with the plain kernel');
    button.onclick = async () => {
      const session = this.session();
      if (!session) return;
      const { difference, largest } = await session.exclusive(() =>
        plainConvDifference(session.engine, layer, internals),
      );
      result.textContent = ` conv2d/plain.wgsl, one output per invocation: largest difference from the tiled kernel's output ${difference.toExponential(1)} (values up to ${largest.toFixed(2)})`;
      result.dataset['difference'] = String(difference);
    };
    return element('p', {}, button, result);
  }

  /** A conv's filters, [out][in] tiles of k x k (or their gradients), diverging colours. */
  private filters(layer: Conv2d<Tensor>, internals: LayerInternals, gradients: boolean): HTMLElement {
    const values = gradients ? internals.weightGradient : this.weights.get(layer)?.weight;
    const [outChannels, inChannels, k] = layer.weight.shape as [number, number, number, number];
    const details = element(
      'details',
      { class: 'filters' },
      element(
        'summary',
        {},
        `${gradients ? 'dL/d(weight)' : 'filters'}: ${outChannels} x ${inChannels} kernels of ${k}x${k} (a row per output channel)`,
      ),
    );
    if (!values) return details;
    for (let out = 0; out < outChannels; out++) {
      const row = element('div', { class: 'strip' });
      for (let input = 0; input < inChannels; input++)
        row.append(mapCanvas(values, (out * inChannels + input) * k * k, k, k, 6, true).canvas);
      details.append(row);
    }
    return details;
  }

  /** Works out output value [channel, y, x] of layer `index`. */
  explain(index: number, channel: number, y: number, x: number): void {
    const internals = this.internals[index];
    if (!internals) return;
    const { layer } = internals;
    const where = `${layer.describe()}, channel ${channel}, row ${y}, column ${x}`;
    if (layer instanceof Conv2d) {
      const { weight, bias } = this.weights.get(layer)!;
      const step = convStep(layer, internals, weight, bias, channel, y, x);
      const rows = step.terms.map((term) =>
        element(
          'tr',
          {},
          ...[
            `${term.channel}`,
            `${term.ky},${term.kx}`,
            term.row === null ? 'padding' : `${term.row},${term.column}`,
            fixed(term.input),
            fixed(term.weight),
            fixed(term.product),
          ].map((cell) => element('td', {}, cell)),
        ),
      );
      const agree = Math.abs(step.gpu - step.reference) <= 1e-4 * Math.max(1, Math.abs(step.reference));
      this.stepBox.replaceChildren(
        element('h3', {}, where),
        element(
          'p',
          {
            class: 'result',
            'data-agree': String(agree),
            'data-gpu': String(step.gpu),
            'data-reference': String(step.reference),
          },
          `sum of ${step.terms.length} products ${fixed(step.sum)} + bias ${fixed(step.bias)} = ${fixed(step.sum + step.bias)}` +
            `${step.activation === 'relu' ? `, ReLU → ${fixed(step.value)}` : ''}. GPU: ${fixed(step.gpu)}; float64 reference: ${fixed(step.reference)}; ${agree ? 'they agree' : 'THEY DIFFER'} (relative difference ${(Math.abs(step.gpu - step.reference) / Math.max(1e-30, Math.abs(step.reference))).toExponential(2)}).`,
        ),
        element(
          'details',
          {},
          element('summary', {}, 'the window, term by term'),
          element(
            'table',
            {},
            element(
              'tr',
              {},
              ...['in channel', 'kernel y,x', 'input y,x', 'input', 'weight', 'product'].map((cell) =>
                element('th', {}, cell),
              ),
            ),
            ...rows,
          ),
        ),
      );
    } else if (layer instanceof MaxPool2d) {
      const step = poolStep(layer, internals, channel, y, x);
      const cells = step.window.map(
        (cell, i) =>
          `${i === step.winner ? '▶ ' : ''}(${cell.row},${cell.column}) ${cell.value === null ? 'padding' : fixed(cell.value)}`,
      );
      this.stepBox.replaceChildren(
        element('h3', {}, where),
        element(
          'p',
          { class: 'result' },
          `window: ${cells.join(', ')}. The maximum wins; on a tie the first in row-major order wins and alone receives the gradient; padding never wins. GPU: ${fixed(step.gpu)}.`,
        ),
      );
    } else if (layer instanceof Upsample2d) {
      const source = upsampleSource(layer, y, x);
      this.stepBox.replaceChildren(
        element('h3', {}, where),
        element(
          'p',
          { class: 'result' },
          `a copy of input (${source.row},${source.column}): each input value fills a ${layer.factor}x${layer.factor} block (nearest neighbour); its gradient is the sum over that block.`,
        ),
      );
    } else {
      this.stepBox.replaceChildren(
        element('h3', {}, where),
        element('p', { class: 'result' }, `${layer.describe()} of its input, value by value.`),
      );
    }
  }
}
