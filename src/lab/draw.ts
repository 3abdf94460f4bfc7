// Pictures for the lab page: images and feature maps on canvases, charts as SVG. Hand-written
// rather than a chart library: two line charts and a bar chart are a few dozen lines, and the
// page then loads nothing but its own bundle.

/** A canvas of `width` x `height` pixels shown `scale` times larger, pixels kept sharp. */
export function pixelCanvas(
  width: number,
  height: number,
  scale: number,
): { canvas: HTMLCanvasElement; image: ImageData; put(): void } {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
  canvas.style.imageRendering = 'pixelated';
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(width, height);
  return { canvas, image, put: () => context.putImageData(image, 0, 0) };
}

const byte = (value: number) => Math.max(0, Math.min(255, Math.round(value * 255)));

/** Image `index` of planar [N, C, H, W] values in [0, 1] (1 channel: gray; 3: RGB). */
export function imageCanvas(
  values: Float32Array,
  index: number,
  channels: number,
  height: number,
  width: number,
  scale: number,
): HTMLCanvasElement {
  const { canvas, image, put } = pixelCanvas(width, height, scale);
  const plane = height * width;
  const base = index * channels * plane;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = byte(values[base + Math.min(c, channels - 1) * plane + i]!);
    image.data[4 * i + 3] = 255;
  }
  put();
  return canvas;
}

/**
 * One channel of a feature map, [height, width] at `offset`: activations in gray from their
 * minimum (black) to maximum (white); signed values (gradients, weights) diverging, blue for
 * negative and red for positive, white at 0, scaled by the largest magnitude.
 */
export function mapCanvas(
  values: Float32Array,
  offset: number,
  height: number,
  width: number,
  scale: number,
  signed: boolean,
): { canvas: HTMLCanvasElement; low: number; high: number } {
  const { canvas, image, put } = pixelCanvas(width, height, scale);
  const plane = values.subarray(offset, offset + height * width);
  let low = Infinity;
  let high = -Infinity;
  for (const value of plane) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  const magnitude = Math.max(Math.abs(low), Math.abs(high)) || 1;
  for (let i = 0; i < plane.length; i++) {
    const value = plane[i]!;
    let rgb: [number, number, number];
    if (signed) {
      const t = value / magnitude;
      rgb = t >= 0 ? [1, 1 - t, 1 - t] : [1 + t, 1 + t, 1];
    } else {
      const t = high > low ? (value - low) / (high - low) : 0;
      rgb = [t, t, t];
    }
    image.data.set([byte(rgb[0]), byte(rgb[1]), byte(rgb[2]), 255], 4 * i);
  }
  put();
  return { canvas, low, high };
}

export interface Series {
  readonly name: string;
  readonly colour: string;
  readonly points: readonly { x: number; y: number }[];
}

const SVG = 'http://www.w3.org/2000/svg';

export function svgElement(tag: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A vertical line at `x` with a label: something that changed there (the learning rate, say). */
export interface ChartMarker {
  readonly x: number;
  readonly label: string;
}

/**
 * Lines over a shared x axis (epochs) with a legend, y from the data's range; every point can be hovered for its exact values (an SVG
 * title), and each marker is a labelled vertical line.
 */
export function lineChart(
  series: readonly Series[],
  xLabel: string,
  width = 520,
  height = 220,
  markers: readonly ChartMarker[] = [],
): SVGSVGElement {
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' }) as SVGSVGElement;
  const all = series.flatMap((line) => line.points);
  const margin = { left: 52, right: 12, top: 12, bottom: 30 };
  if (all.length === 0) {
    svg.append(
      svgElement('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'muted' }, 'no points yet'),
    );
    return svg;
  }
  const xHigh = Math.max(1, ...all.map((point) => point.x));
  const [yLow, yHigh] = [Math.min(...all.map((point) => point.y)), Math.max(...all.map((point) => point.y))];
  const ySpan = yHigh - yLow || Math.abs(yHigh) || 1;
  const x = (value: number) => margin.left + (value / xHigh) * (width - margin.left - margin.right);
  const y = (value: number) =>
    margin.top + (1 - (value - (yLow - 0.05 * ySpan)) / (1.1 * ySpan)) * (height - margin.top - margin.bottom);
  svg.append(
    svgElement('line', {
      x1: margin.left,
      y1: height - margin.bottom,
      x2: width - margin.right,
      y2: height - margin.bottom,
      class: 'axis',
    }),
  );
  svg.append(
    svgElement('line', { x1: margin.left, y1: margin.top, x2: margin.left, y2: height - margin.bottom, class: 'axis' }),
  );
  for (const value of [yLow, (yLow + yHigh) / 2, yHigh]) {
    svg.append(
      svgElement(
        'text',
        { x: margin.left - 4, y: y(value) + 4, 'text-anchor': 'end', class: 'tick' },
        value.toPrecision(3),
      ),
    );
  }
  for (let epoch = 0; epoch <= xHigh; epoch += Math.max(1, Math.ceil(xHigh / 10))) {
    svg.append(
      svgElement(
        'text',
        { x: x(epoch), y: height - margin.bottom + 14, 'text-anchor': 'middle', class: 'tick' },
        String(epoch),
      ),
    );
  }
  svg.append(
    svgElement('text', { x: (width + margin.left) / 2, y: height - 2, 'text-anchor': 'middle', class: 'tick' }, xLabel),
  );
  series.forEach((line, i) => {
    const path = line.points.map((point) => `${x(point.x).toFixed(1)},${y(point.y).toFixed(1)}`).join(' ');
    svg.append(svgElement('polyline', { points: path, fill: 'none', stroke: line.colour, 'stroke-width': 2 }));
    // A hover target per point, which says its exact values.
    for (const point of line.points) {
      const dot = svgElement('circle', {
        cx: x(point.x),
        cy: y(point.y),
        r: line.points.length === 1 ? 3 : 2,
        fill: line.colour,
        class: 'point',
        'data-x': point.x,
        'data-y': point.y,
      });
      dot.append(svgElement('title', {}, `${line.name}: ${point.y.toFixed(5)} at ${xLabel} ${point.x.toFixed(3)}`));
      svg.append(dot);
    }
    svg.append(
      svgElement(
        'text',
        {
          x: width - margin.right - 4,
          y: margin.top + 12 + 14 * i,
          'text-anchor': 'end',
          style: `fill: ${line.colour}`,
          class: 'tick',
        },
        line.name,
      ),
    );
  });
  for (const marker of markers) {
    svg.append(
      svgElement('line', {
        x1: x(marker.x),
        y1: margin.top,
        x2: x(marker.x),
        y2: height - margin.bottom,
        class: 'marker',
        stroke: '#888',
        'stroke-dasharray': '4 3',
      }),
      svgElement('text', { x: x(marker.x) + 3, y: margin.top + 10, class: 'tick marker-label' }, marker.label),
    );
  }
  return svg;
}

/** Horizontal bars of values in [0, 1] (shares), one labelled row each. */
export function barChart(rows: readonly { label: string; value: number }[], width = 640): SVGSVGElement {
  const rowHeight = 18;
  const labelWidth = 300;
  const height = rows.length * rowHeight + 20;
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' }) as SVGSVGElement;
  const scale = (value: number) => Math.max(0, Math.min(1, value)) * (width - labelWidth - 60);
  rows.forEach((row, i) => {
    const top = i * rowHeight;
    svg.append(svgElement('text', { x: labelWidth - 6, y: top + 13, 'text-anchor': 'end', class: 'tick' }, row.label));
    svg.append(
      svgElement('rect', { x: labelWidth, y: top + 3, width: scale(row.value), height: rowHeight - 6, class: 'bar' }),
    );
    svg.append(
      svgElement(
        'text',
        { x: labelWidth + scale(row.value) + 4, y: top + 13, class: 'tick' },
        `${(100 * row.value).toFixed(1)}%`,
      ),
    );
  });
  return svg;
}

/** An element with attributes and children, for building the page's DOM in a few lines. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}
