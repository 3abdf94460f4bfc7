// Each conv layer's weights as a histogram, redrawn while training runs: how the filters
// spread out from their initialisation (Glorot uniform: a flat block) as they learn.
import type { Tensor } from '../../backend/tensor.ts';
import type { Autoencoder } from '../../nn/sequential.ts';
import { element, svgElement } from '../draw.ts';

export const HISTOGRAM_BINS = 24;

export interface Histogram {
  readonly low: number;
  readonly high: number;
  /** Values per bin, `bins` equal bins from low to high (high falls in the last). */
  readonly counts: readonly number[];
}

/** `values` counted into `bins` equal bins over their range. */
export function histogram(values: Float32Array, bins = HISTOGRAM_BINS): Histogram {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  const counts = new Array<number>(bins).fill(0);
  const width = (high - low) / bins || 1;
  for (const value of values) counts[Math.min(bins - 1, Math.floor((value - low) / width))]! += 1;
  return { low, high, counts };
}

const WIDTH = 150;
const HEIGHT = 64;

function histogramChart(name: string, { low, high, counts }: Histogram): SVGSVGElement {
  const svg = svgElement('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT + 14}`, width: WIDTH, height: HEIGHT + 14 });
  const most = Math.max(...counts, 1);
  const barWidth = WIDTH / counts.length;
  counts.forEach((count, i) => {
    const height = (count / most) * HEIGHT;
    const bar = svgElement('rect', { x: i * barWidth, y: HEIGHT - height, width: barWidth - 1, height, class: 'bar' });
    const from = low + ((high - low) * i) / counts.length;
    bar.append(
      svgElement(
        'title',
        {},
        `${name}: ${count} weights in [${from.toFixed(4)}, ${(from + (high - low) / counts.length).toFixed(4)})`,
      ),
    );
    svg.append(bar);
  });
  svg.append(
    svgElement('text', { x: 0, y: HEIGHT + 12, class: 'tick' }, low.toFixed(3)),
    svgElement('text', { x: WIDTH, y: HEIGHT + 12, 'text-anchor': 'end', class: 'tick' }, high.toFixed(3)),
  );
  return svg as SVGSVGElement;
}

export class WeightHistograms {
  readonly root = element('div', { id: 'weight-histograms', class: 'histograms' });

  /** The conv weights of `model`, in the order `update` takes their values. */
  static weightsOf(model: Autoencoder<Tensor>): [string, Tensor][] {
    return model.namedParameters().filter(([, tensor]) => tensor.shape.length === 4);
  }

  update(weights: readonly [string, Float32Array][]): void {
    this.root.replaceChildren(
      ...weights.map(([name, values]) => {
        const counts = histogram(values);
        const figure = element(
          'figure',
          { 'data-weight': name },
          element('figcaption', {}, `${name} (${values.length})`),
        );
        figure.append(histogramChart(name, counts));
        figure.dataset['counts'] = counts.counts.join(',');
        return figure;
      }),
    );
  }
}
