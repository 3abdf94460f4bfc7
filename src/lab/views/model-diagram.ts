// The model drawn: the input image, then one block per layer, its map as large as its output
// is high and a stack of sheets behind it for its channels (one more each time they
// double), the latent code marked with its size. Each block shows the layer's output for the
// first test image (the mean over its channels; the model's output as the picture it is),
// refreshed while training runs. A click opens the Inside view at that layer.
import type { Tensor } from '../../backend/tensor.ts';
import type { Autoencoder } from '../../nn/sequential.ts';
import { formatShape, sizeOf, type Shape } from '../../shapes.ts';
import { element, imageCanvas, mapCanvas } from '../draw.ts';
import { layersOf, type Maps } from '../inside-capture.ts';

/** A map's side on the page: a 32-pixel image 96 pixels, halved at each pool. */
const mapPixels = (height: number) => 3 * height;
/** A layer's channels as a stack of sheets behind its map: one more for each doubling. */
const sheets = (channels: number) => Math.max(1, Math.round(Math.log2(channels)));
const SHEET_OFFSET = 4;

/** One channel: the mean over a [C, H, W] map's channels. */
function channelMean({ shape, values }: Maps): Float32Array {
  const [channels, height, width] = shape as [number, number, number];
  const plane = height * width;
  const mean = new Float32Array(plane);
  for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) mean[i]! += values[c * plane + i]! / channels;
  return mean;
}

export class ModelDiagram {
  readonly root = element('div', { id: 'model-diagram', class: 'diagram' });
  private blocks: HTMLElement[] = [];
  private imageShape: Shape = [];

  /** `open(i)`: show layer i in the Inside view. */
  constructor(private readonly open: (layer: number) => void) {}

  /** Blocks for `model` on images of `imageShape` ([C, H, W]); empty until `update`. */
  draw(model: Autoencoder<Tensor>, imageShape: Shape): void {
    this.imageShape = imageShape;
    const latentIndex = model.encoder.layers.length - 1;
    let shape: Shape = [1, ...imageShape];
    const input = this.block('input', imageShape, 'input');
    this.blocks = layersOf(model).map(({ part, layer }, i) => {
      shape = layer.outputShape(shape);
      const outShape = shape.slice(1);
      const block = this.block(layer.describe(), outShape, part);
      block.dataset['layer'] = String(i);
      block.title = `${part} layer ${i + 1}: ${layer.describe()} → ${formatShape(outShape)}; click to look inside`;
      block.onclick = () => this.open(i);
      if (i === latentIndex) {
        block.classList.add('latent');
        block.append(element('span', { class: 'latent-size' }, `latent ${sizeOf(outShape)}`));
      }
      return block;
    });
    this.root.replaceChildren(input, ...this.blocks);
  }

  private block(label: string, shape: Shape, part: string): HTMLElement {
    const [channels, height] = shape as [number, number, number];
    const box = element('div', { class: 'box' });
    box.style.width = box.style.height = `${mapPixels(height)}px`;
    const offsets = Array.from({ length: sheets(channels) - 1 }, (_, k) => (k + 1) * SHEET_OFFSET);
    box.style.boxShadow = offsets
      .map((offset) => `${offset}px ${-offset}px 0 -1px var(--panel), ${offset}px ${-offset}px 0 0 var(--sheet)`)
      .join(', ');
    box.style.margin = `${offsets.at(-1) ?? 0}px ${offsets.at(-1) ?? 0}px 0 0`;
    return element(
      'div',
      { class: `block ${part}` },
      box,
      element('span', { class: 'block-label' }, label.replace(/\s*\(.*\)$/, '')),
      element('span', { class: 'block-shape' }, shape.join('×')),
    );
  }

  /** Draws `image` ([C, H, W] in [0, 1]) and each layer's `outputs` into the blocks. */
  update(image: Float32Array, outputs: readonly Maps[]): void {
    const [channels, height, width] = this.imageShape as [number, number, number];
    const sized = (canvas: HTMLCanvasElement, mapHeight: number) => {
      canvas.style.width = canvas.style.height = `${mapPixels(mapHeight)}px`;
      return canvas;
    };
    this.root
      .querySelector('.block.input .box')!
      .replaceChildren(sized(imageCanvas(image, 0, channels, height, width, 1), height));
    outputs.forEach((maps, i) => {
      const box = this.blocks[i]?.querySelector('.box');
      if (!box) return;
      const [mapChannels, mapHeight, mapWidth] = maps.shape as [number, number, number];
      const last = i === outputs.length - 1 && mapChannels === channels;
      box.replaceChildren(
        sized(
          last
            ? imageCanvas(maps.values, 0, mapChannels, mapHeight, mapWidth, 1)
            : mapCanvas(channelMean(maps), 0, mapHeight, mapWidth, 1, false).canvas,
          mapHeight,
        ),
      );
    });
  }
}
