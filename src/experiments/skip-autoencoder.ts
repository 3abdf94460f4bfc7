// U-Net skip connections for the configurable autoencoder (--skip): a decoder conv that
// follows an upsampling also sees the encoder's feature map of the same resolution, the conv
// output before its pool, joined to its input over channels (F.concat). Colour then has a
// path to the edges it belongs on that does not pass through the bottleneck. The layers run
// one by one (no fusions: each skip needs the conv's own output before its pool).
import * as F from '../nn/functional.ts';
import type { TapeTensor } from '../nn/autograd.ts';
import type { Layer, ShapeStep } from '../nn/modules.ts';
import { Autoencoder, type Sequential } from '../nn/sequential.ts';
import { ops } from '../kernels/registry.ts';
import type { Shape } from '../shapes.ts';

/** How a walk through the layers treats its values: a layer's step, and the join of a skip. */
interface Walk<V> {
  step(layer: Layer<any>, value: V, path: string): V;
  join(value: V, skipped: V): V;
}

export class SkipAutoencoder<T extends TapeTensor<T>> extends Autoencoder<T> {
  /**
   * `skips`: decoder layer index -> encoder layer index whose output that decoder layer's input
   * is joined with (after it, over channels).
   */
  constructor(
    encoder: Sequential<T>,
    decoder: Sequential<T>,
    readonly skips: ReadonlyMap<number, number>,
  ) {
    super(encoder, decoder);
    // Run as written: the summary then lists no fusion that does not happen.
    for (const part of [encoder, decoder]) part.fusions = { upsampleIntoConv: false, reluIntoPool: false };
  }

  private walk<V>(input: V, walk: Walk<V>): V {
    const kept: V[] = [];
    let value = input;
    this.encoder.layers.forEach((layer, i) => {
      value = walk.step(layer, value, `encoder.${i}`);
      kept.push(value);
    });
    this.decoder.layers.forEach((layer, i) => {
      const from = this.skips.get(i);
      if (from !== undefined) value = walk.join(value, kept[from]!);
      value = walk.step(layer, value, `decoder.${i}`);
    });
    return value;
  }

  override forward(input: T): T {
    return this.walk<T>(input, {
      step: (layer, value) => layer.forward(value) as T,
      join: (value, skipped) => F.concat(value, skipped),
    });
  }

  override outputShape(input: Shape): Shape {
    return this.walk<Shape>(input, {
      step: (layer, shape) => layer.outputShape(shape),
      join: (shape, skipped) => ops.concat.outputShape([shape, skipped], {}),
    });
  }

  override trace(input: Shape): ShapeStep[] {
    const steps: ShapeStep[] = [];
    this.walk<{ shape: Shape }>(
      { shape: input },
      {
        step: (layer, { shape }, path) => {
          const layerSteps = layer.trace(shape, path);
          steps.push(...layerSteps);
          return { shape: layerSteps.at(-1)?.output ?? shape };
        },
        join: (value, skipped) => ({ shape: ops.concat.outputShape([value.shape, skipped.shape], {}) }),
      },
    );
    return steps;
  }

  override flops(input: Shape): number {
    let total = 0;
    this.walk<Shape>(input, {
      step: (layer, shape) => {
        total += layer.flops(shape);
        return layer.outputShape(shape);
      },
      join: (shape, skipped) => ops.concat.outputShape([shape, skipped], {}),
    });
    return total;
  }

  override describe(): string {
    return `autoencoder with ${this.skips.size} skip connection${this.skips.size === 1 ? '' : 's'}`;
  }
}
