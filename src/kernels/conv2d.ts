// conv2d: input [N, Cin, H, W], weight [Cout, Cin, KH, KW], optional bias [Cout], and an
// optional ReLU fused into it (Keras' activation='relu'): the output is max(z, 0) of the
// convolution z, and the backward passes mask the incoming gradient by output > 0.
// With `upsample` f > 1 the input is first upsampled by nearest neighbour (each value an f x f
// block), as Keras' UpSampling2D before a Conv2D, without the upsampled image ever being
// stored: the forward pass is then a transposed convolution of the stored input (4 taps per
// output where 9, for f = 2 and 3 x 3 kernels; the derivation is in conv2d.wgsl).
// Kernels in conv2d.wgsl; the float64 reference below is the specification they are tested against.
import { defineOp, type HostTensor } from './op.ts';
import { ShapeError } from '../errors.ts';
import { formatShape, requireFusedActivation, requirePositiveInteger, requireRank4, windowGeometry, type FusedActivation, type Padding, type Shape } from './shapes.ts';
import { encodeSumRows } from './sum.ts';
import { relu } from './relu.ts';
import { upsample2d } from './upsample2d.ts';
import type { Tensor } from '../backend/tensor.ts';
import type { Engine } from '../backend/engine.ts';

export interface Conv2dAttributes {
  /** Default 1. */
  readonly stride?: number;
  /** Default 'valid' (as Keras). */
  readonly padding?: Padding;
  /** Default 'linear' (as Keras): none. 'relu' is fused into the kernels. */
  readonly activation?: Conv2dActivation;
  /** Default 1. Nearest-neighbour upsampling of the input by this factor before the convolution (stride 1 only). */
  readonly upsample?: number;
}

export type Conv2dActivation = FusedActivation;

export interface Conv2dGeometry {
  batch: number; inChannels: number; inHeight: number; inWidth: number;
  outChannels: number; outHeight: number; outWidth: number;
  kernelHeight: number; kernelWidth: number; stride: number; padTop: number; padLeft: number;
  /** The input is read upsampled by this factor: inHeight x inWidth is its upsampled size. */
  upsample: number;
}

export function conv2dGeometry(inputShape: Shape, weightShape: Shape, biasShape: Shape | undefined, attributes: Conv2dAttributes): Conv2dGeometry {
  const [batch, inChannels, inHeight, inWidth] = requireRank4(inputShape, 'conv2d input');
  if (weightShape.length !== 4) {
    throw new ShapeError(`conv2d weight: expected [outChannels, inChannels, kernelHeight, kernelWidth], got ${formatShape(weightShape)}`);
  }
  const [outChannels, weightInChannels, kernelHeight, kernelWidth] = requireRank4(weightShape, 'conv2d weight');
  if (weightInChannels !== inChannels) {
    throw new ShapeError(`conv2d: input has ${inChannels} channels but the weight expects ${weightInChannels} (input ${formatShape(inputShape)}, weight ${formatShape(weightShape)})`);
  }
  if (biasShape && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    throw new ShapeError(`conv2d bias: expected [${outChannels}], got ${formatShape(biasShape)}`);
  }
  const stride = requirePositiveInteger(attributes.stride ?? 1, 'conv2d stride');
  const upsample = requirePositiveInteger(attributes.upsample ?? 1, 'conv2d upsample');
  if (upsample > 1 && stride !== 1) {
    throw new ShapeError(`conv2d: upsample ${upsample} needs stride 1, got stride ${stride}`);
  }
  const { height, width } = windowGeometry(inHeight * upsample, inWidth * upsample, kernelHeight, kernelWidth, stride, attributes.padding ?? 'valid', 'conv2d');
  if (upsample > 1 && (height.padBefore >= kernelHeight || width.padBefore >= kernelWidth)) {
    // The transposed form pads by kernel - 1 - padding: it has no negative padding.
    throw new ShapeError(`conv2d: with upsample the padding before must be less than the kernel size, got ${height.padBefore},${width.padBefore} for a ${kernelHeight}x${kernelWidth} kernel`);
  }
  return {
    batch, inChannels, inHeight: inHeight * upsample, inWidth: inWidth * upsample, outChannels,
    outHeight: height.output, outWidth: width.output,
    kernelHeight, kernelWidth, stride, padTop: height.padBefore, padLeft: width.padBefore, upsample,
  };
}

/**
 * conv2d with `upsample` f as the transposed convolution of the stored input (conv2d.wgsl,
 * upsampled_weights): the geometry of the strided convolution whose input gradient it is.
 * Its input is conv2d's output (outHeight x outWidth), its output the stored input, its kernel
 * K + f - 1 taps with stride f and padding K - 1 - padding.
 */
function transposedGeometry(g: Conv2dGeometry): Conv2dGeometry {
  return {
    batch: g.batch, inChannels: g.outChannels, inHeight: g.outHeight, inWidth: g.outWidth,
    outChannels: g.inChannels, outHeight: g.inHeight / g.upsample, outWidth: g.inWidth / g.upsample,
    kernelHeight: g.kernelHeight + g.upsample - 1, kernelWidth: g.kernelWidth + g.upsample - 1, stride: g.upsample,
    padTop: g.kernelHeight - 1 - g.padTop, padLeft: g.kernelWidth - 1 - g.padLeft, upsample: 1,
  };
}

/**
 * The share of the direct convolution's multiply-adds (over the upsampled image) that conv2d
 * with `upsample` f executes in each of its three passes: ((K + f - 1) / (f K)) per axis, 4/9
 * for f = 2 and 3 x 3 kernels (exact for 'same' padding; bench accounting only).
 */
export function upsampledMultiplyAddShare(kernelHeight: number, kernelWidth: number, factor: number): number {
  return ((kernelHeight + factor - 1) * (kernelWidth + factor - 1)) / (factor * factor * kernelHeight * kernelWidth);
}

/**
 * Encodes dL/dweight of conv2d with `upsample` into gradWeight: the strided convolution's weight
 * gradient (dL/dwt), folded back. (A fold that added the partial sums' rows itself, one
 * dispatch fewer, measured 0.82-0.86x as fast as these two at 48 rows and level at 8.)
 */
function upsampledWeightGradient(engine: Engine, g: Conv2dGeometry, input: Tensor, gradOutput: Tensor, gradWeight: Tensor): void {
  const t = transposedGeometry(g);
  const partialSums = encodeWeightGradientPartials(engine, t, gradOutput, input, false);
  const gradUpsampled = engine.empty([t.outChannels, t.inChannels, t.kernelHeight, t.kernelWidth], 'conv2d upsampled weight gradient');
  encodeSumRows(engine, partialSums, 0, [gradUpsampled]);
  partialSums.dispose();
  engine.dispatch('conv2d', 'upsampled_weight_gradient', { bindings: { input: gradUpsampled, output: gradWeight }, params: params(g, false, {}), invocations: gradWeight.size });
  gradUpsampled.dispose();
}

/**
 * Encodes dL/dbias of conv2d with `upsample` into gradBias: dL/dz summed per image and channel
 * (per image, channel and lane where its planes are whole quads: bias_gradient_partial_quads),
 * then over the rows.
 */
function upsampledBiasGradient(engine: Engine, g: Conv2dGeometry, gradOutput: Tensor, gradBias: Tensor): void {
  const quads = (g.outHeight * g.outWidth) % 4 === 0;
  const partialSums = engine.empty([g.batch * (quads ? LANES : 1), g.outChannels], 'conv2d bias gradient partial sums');
  const request = { params: params(g, false, {}), invocations: partialSums.size };
  if (quads) engine.dispatch('conv2d', 'bias_gradient_partial_quads', { bindings: { gradOutputQuads: gradOutput, partialSums }, ...request });
  else engine.dispatch('conv2d', 'bias_gradient_partial', { bindings: { gradOutput, partialSums }, ...request });
  encodeSumRows(engine, partialSums, 0, [gradBias]);
  partialSums.dispose();
}

/** Encodes the upsampled weights wt[inChannels, outChannels, K + f - 1, K + f - 1] of conv2d with `upsample` f. */
function upsampledWeights(engine: Engine, weight: Tensor, g: Conv2dGeometry): Tensor {
  const t = transposedGeometry(g);
  const upsampled = engine.empty([t.outChannels, t.inChannels, t.kernelHeight, t.kernelWidth], 'conv2d upsampled weights');
  engine.dispatch('conv2d', 'upsampled_weights', {
    bindings: { weight, output: upsampled },
    params: params(g, false, {}),
    invocations: upsampled.size,
  });
  return upsampled;
}

/** conv2d.wgsl: adjacent invocations (lanes) take adjacent columns. */
const LANES = 8;
/**
 * Register budget per invocation, and the widest channel tile. On lavapipe a load costs as
 * much as about nine multiply-adds (each lane loads on its own, bounds-checked), so the
 * tile that wins is the one with the fewest loads per multiply-add: TILE_CHANNELS weights
 * and TILE_X x TILE_Y inputs feed TILE_CHANNELS x TILE_X x TILE_Y of them. 128 accumulators
 * spill to the stack there, which costs far less than the loads they save.
 */
const MAX_ACCUMULATORS = 128;
const MAX_TILE_CHANNELS = 16;
const MAX_TILE_Y = 8;
/** The input gradient's all-phases tile (stride > 1) is offered up to this many channels. */
const MAX_ALL_PHASES_CHANNELS = 4;
/**
 * Weight gradients: at most 8 channels of whole kernel rows per invocation, within this many
 * accumulators (8 channels x 3 x 3 taps; a 5 x 5 kernel gets 3 rows of 8 channels, or all 5
 * of 4).
 */
const MAX_GRADIENT_CHANNELS = 8;
const MAX_GRADIENT_ACCUMULATORS = 128;
/**
 * The heuristic splits the weight gradient's rows until the dispatch has about this many
 * invocations. Every split writes a row of partial sums that sum_rows reads back, so each
 * split costs a store and a load per weight: at 4,096 invocations an invocation of the
 * notebook's batch-32 step walks 1-2 rows, and those partial sums cost more than its
 * multiply-adds. Measured on lavapipe at the step's five convs, alternating rounds (each
 * pass's time at 256 invocations against 4,096): batch 32 0.58, 0.42, 0.50, 0.37 and 0.52x;
 * batch 256 0.96, 0.71, 1.19, 0.90 and 0.78x. A GPU wants many more invocations; its tuner
 * finds them among the other splits.
 */
const TARGET_SPLIT_INVOCATIONS = 256;

/** The tile size <= max that splits `count` into equal-as-possible tiles (12 -> 6 + 6, not 8 + 4). */
const evenTile = (count: number, max: number) => Math.ceil(count / Math.ceil(count / max));

/** Register tile of the forward pass (output rows) or the input gradient (input rows). */
interface RowTileSize {
  readonly TILE_X: number;
  readonly TILE_Y: number;
  readonly TILE_CHANNELS: number;
  /** 1: the lanes of a group share the tile's weight loads through subgroup shuffles. */
  readonly SUBGROUP_SHUFFLES: number;
}

/**
 * The heuristic row tile: one column per lane, up to 16 channels, then as many rows (up to
 * 8) as the register budget allows, and shared weight loads where the device has subgroups.
 * Measured on lavapipe at the notebook's shapes this beat the wider, shorter tiles by
 * 1.0-1.7x; other adapters get their own tile from the tuner.
 */
function heuristicRowTile(channels: number, height: number, subgroups: boolean): RowTileSize {
  const tileChannels = evenTile(channels, MAX_TILE_CHANNELS);
  const tileY = Math.max(1, Math.min(MAX_TILE_Y, height, Math.floor(MAX_ACCUMULATORS / tileChannels)));
  return { TILE_X: 1, TILE_Y: tileY, TILE_CHANNELS: tileChannels, SUBGROUP_SHUFFLES: subgroups ? 1 : 0 };
}

/**
 * The tuner's candidates: the heuristic first, then every other tile within the register
 * budget, each with and (where the device has subgroups) without shared weight loads.
 */
function rowTileCandidates(width: number, channels: number, height: number, subgroups: boolean): RowTileSize[] {
  const candidates = [heuristicRowTile(channels, height, subgroups)];
  for (const tileX of [1, 2, 4].filter((x) => x <= Math.max(1, Math.ceil(width / LANES))))
    for (const channelLimit of [4, 8, MAX_TILE_CHANNELS])
      for (const tileY of [1, 2, 4, MAX_TILE_Y].filter((y) => y <= height))
        for (const shuffles of subgroups ? [1, 0] : [0]) {
          const tile = { TILE_X: tileX, TILE_Y: tileY, TILE_CHANNELS: evenTile(channels, channelLimit), SUBGROUP_SHUFFLES: shuffles };
          if (tileX * tileY * tile.TILE_CHANNELS <= MAX_ACCUMULATORS) candidates.push(tile);
        }
  return unique(candidates);
}

function rowTileDispatch(tile: RowTileSize, width: number, channels: number, height: number, batch: number) {
  const invocations = batch * Math.ceil(height / tile.TILE_Y) * LANES * Math.ceil(width / (LANES * tile.TILE_X)) * Math.ceil(channels / tile.TILE_CHANNELS);
  return { specialization: { ...tile }, invocations };
}

/** The forward pass's row tile (output rows and channels): the tuner's choice, or the heuristic. */
function forwardTile(engine: Engine, g: Conv2dGeometry) {
  const subgroups = engine.kernels.subgroups !== null;
  const tile = engine.tuning.choose(tuningKey('forward', g), () => withRowWindow(rowTileCandidates(g.outWidth, g.outChannels, g.outHeight, subgroups), subgroups));
  const { specialization, invocations } = rowTileDispatch(tile, g.outWidth, g.outChannels, g.outHeight, g.batch);
  return { specialization: { ...specialization, ...rowWindowSpecialization(tile.ROW_WINDOW, g, subgroups) }, invocations };
}

/** A row tile of the forward pass or backward_input, with or without its row window. */
interface WindowedRowTileSize extends RowTileSize {
  /** 1: the tile's rows are loaded once per kernel column (conv2d.wgsl, ROW_WINDOW). */
  readonly ROW_WINDOW: number;
}

/**
 * The row tiles of the forward pass or backward_input as candidates: the heuristic tile with
 * and without ROW_WINDOW (conv2d.wgsl: the tile's rows loaded once per kernel column), then the
 * other tiles without it. The heuristic uses the window where lanes shuffle: the training step
 * at batch 32 ran 1.04-1.11x faster with it in the forward pass (four runs, the heuristic
 * tiles, alternating in one process; 1.03x at batch 256). Elsewhere it is not measured. Only
 * one tile has both: lavapipe compiles an unrolled window for seconds, and offering it with
 * every tile made the tuning suite run 9x as long.
 */
function withRowWindow(tiles: readonly RowTileSize[], subgroups: boolean): WindowedRowTileSize[] {
  const [heuristic, ...others] = tiles;
  const preferred = subgroups ? 1 : 0;
  return unique([
    { ...heuristic!, ROW_WINDOW: preferred },
    { ...heuristic!, ROW_WINDOW: 1 - preferred },
    ...others.map((tile) => ({ ...tile, ROW_WINDOW: 0 })),
  ]);
}

/**
 * The constants a row tile's window needs: the kernel's height and the stride (its size and
 * its rows), and, for a window where lanes shuffle, the engine's unrolling (as the all-phases
 * tile's UNROLL_LOOPS, see transposedTileCandidates): rolled, lavapipe indexes the window at
 * run time, and the step ran 0.73-0.91x as fast as without it.
 */
function rowWindowSpecialization(rowWindow: number | undefined, g: Conv2dGeometry, subgroups: boolean): Record<string, number> {
  return { KERNEL_HEIGHT: g.kernelHeight, STRIDE: g.stride, ...(rowWindow === 1 && subgroups ? { UNROLL_LOOPS: 1 } : {}) };
}

/**
 * The input gradient's (the transposed convolution's) tile. For stride s > 1 it is either a
 * row tile of one of the s x s phases (backward_input, each phase as an image of its own), or,
 * with ALL_PHASES 1, TILE_Y blocks of s rows with all their phases (backward_input_all_phases).
 */
interface TransposedTileSize extends RowTileSize {
  readonly ALL_PHASES?: number;
  /** Phase-wise tiles: 1 loads the tile's dL/dz rows once per tap column (conv2d.wgsl, ROW_WINDOW). */
  readonly ROW_WINDOW?: number;
  /** All-phases tiles: 1 has the engine unroll the kernel's loops (conv2d.wgsl, UNROLL_LOOPS). */
  readonly UNROLL_LOOPS?: number;
}

/**
 * How many dL/dz rows (or columns) the s phases of one input block read between them, for
 * backward_input_all_phases: input row s*i + r reads row i + d through tap r + pad - s*d, so d
 * runs from ceil((pad + 1 - kernel) / s) to floor((s - 1 + pad) / s). Null where pad >= kernel.
 */
function allPhasesWindow(kernel: number, pad: number, stride: number): number | null {
  if (pad >= kernel) return null;
  return Math.floor((stride - 1 + pad) / stride) + Math.floor((kernel - 1 - pad) / stride) + 1;
}

/**
 * The input's stride phases: the rows and columns of one phase, and the all-phases tile's
 * window (WINDOW_Y x WINDOW_X), null where the padding rules that tile out.
 */
function stridePhases(g: Conv2dGeometry): { width: number; height: number; window: { WINDOW_Y: number; WINDOW_X: number } | null } {
  const windowY = allPhasesWindow(g.kernelHeight, g.padTop, g.stride);
  const windowX = allPhasesWindow(g.kernelWidth, g.padLeft, g.stride);
  return {
    width: Math.ceil(g.inWidth / g.stride),
    height: Math.ceil(g.inHeight / g.stride),
    window: windowY === null || windowX === null ? null : { WINDOW_Y: windowY, WINDOW_X: windowX },
  };
}

/** The tiles the input gradient may use: for stride > 1, the phase-wise row tiles and the all-phases ones. */
function transposedTileCandidates(g: Conv2dGeometry, subgroups: boolean): TransposedTileSize[] {
  const phases = stridePhases(g);
  const rowTiles = withRowWindow(rowTileCandidates(phases.width, g.inChannels, phases.height, subgroups), subgroups);
  // Few channels give each dL/dz value backward_input loads few multiply-adds, which the
  // all-phases window makes up for: measured on lavapipe for the notebook's upsampled 12->3
  // conv (3 channels, stride 2), 4 rows ran 2.2x faster than the tuned phase-wise tile at
  // batch 32 and 1.1x at 256 (2 rows: 1.7x and 1.4x). With 12 channels (its 16->12 conv) it
  // ran at 0.2-0.4x, and its large unrolled bodies compile slowly, so it is offered, and is
  // the heuristic (4 rows first), only up to MAX_ALL_PHASES_CHANNELS channels.
  // Where the lanes share weights by shuffles, the heuristic also has the engine unroll its
  // loops (UNROLL_LOOPS), which lets the lanes share a whole channel's weights: on the
  // notebook's 12->3 forward 1.25-2.2x faster at batch 32 and 1.4-2.1x at 256 than rolled
  // (alternating processes, lavapipe). Only there: the unrolling is for the shared weights
  // (rolled, the lanes share them tap by tap), and with the unrolled variants offered to
  // SwiftShader (Chromium without a GPU, no subgroups) the parity run there lost its device.
  if (g.stride === 1 || phases.window === null || g.inChannels > MAX_ALL_PHASES_CHANNELS) return rowTiles;
  const phaseCount = g.stride * g.stride;
  const allPhases: TransposedTileSize[] = [];
  for (const tileY of [4, 2, 1, MAX_TILE_Y].filter((y) => y <= phases.height && y * phaseCount * g.inChannels <= MAX_ACCUMULATORS))
    for (const shuffles of subgroups ? [1, 0] : [0])
      for (const unroll of shuffles ? [1, 0] : [0]) allPhases.push({ TILE_X: 1, TILE_Y: tileY, TILE_CHANNELS: g.inChannels, SUBGROUP_SHUFFLES: shuffles, ALL_PHASES: 1, UNROLL_LOOPS: unroll });
  return [...allPhases, ...rowTiles.map((tile): TransposedTileSize => ({ ...tile, ALL_PHASES: 0 }))];
}

function transposedTile(engine: Engine, g: Conv2dGeometry): { entryPoint: string; specialization: Record<string, number>; invocations: number } {
  const { ALL_PHASES, ...tile } = engine.tuning.choose(tuningKey('backward_input', g), () => transposedTileCandidates(g, engine.kernels.subgroups !== null));
  const phases = stridePhases(g);
  if (ALL_PHASES === 1) {
    const { invocations } = rowTileDispatch(tile, phases.width, g.inChannels, phases.height, g.batch);
    const kernel = { KERNEL_HEIGHT: g.kernelHeight, KERNEL_WIDTH: g.kernelWidth, PAD_TOP: g.padTop, PAD_LEFT: g.padLeft };
    return { entryPoint: 'backward_input_all_phases', specialization: { ...tile, STRIDE: g.stride, ...phases.window!, ...kernel }, invocations };
  }
  const { specialization, invocations } = rowTileDispatch(tile, phases.width, g.inChannels, phases.height, g.batch * g.stride * g.stride);
  const window = rowWindowSpecialization(tile.ROW_WINDOW, g, engine.kernels.subgroups !== null);
  return { entryPoint: 'backward_input', specialization: { ...specialization, ...window }, invocations };
}

/** How the weight gradient is tiled (specialised constants) and split over rows. */
interface WeightGradientVariant {
  readonly TILE_CHANNELS: number;
  /** Kernel rows per invocation: its window of inputs is TAP_ROWS x kernelWidth. */
  readonly TAP_ROWS: number;
  /** 1: the lanes of a group take LANES input channels and share dL/dz loads by shuffles; 0: columns. */
  readonly LANES_ON_CHANNELS: number;
  /** Rows are split until the dispatch has about this many invocations. */
  readonly splitInvocations: number;
}

/**
 * The heuristic first: 8 channels, as many whole kernel rows as fit in the accumulator
 * budget, TARGET_SPLIT_INVOCATIONS invocations, and lanes on input channels where the device
 * has subgroups and both channel counts are at least LANES. Measured on lavapipe at the
 * notebook's shapes (batch 32 and 256), lanes on channels won at 8->12, 12->16 and 16->12
 * channels and lost at 3->8 (five of eight lanes idle) and 12->3 (three dL/dz loads a row to
 * save, not eight).
 * Then narrower tiles, the other lane mapping and other splits (a CPU adapter wants few
 * invocations, a GPU many).
 */
function weightGradientCandidates(g: Conv2dGeometry, subgroups: boolean): WeightGradientVariant[] {
  const candidates: WeightGradientVariant[] = [];
  const mappings = !subgroups ? [0] : g.inChannels >= LANES && g.outChannels >= LANES ? [1, 0] : [0, 1];
  for (const channelLimit of [MAX_GRADIENT_CHANNELS, 4]) {
    const channels = evenTile(g.outChannels, channelLimit);
    const rowsThatFit = Math.max(1, Math.floor(MAX_GRADIENT_ACCUMULATORS / (channels * g.kernelWidth)));
    for (const lanesOnChannels of mappings)
      for (const splitInvocations of [TARGET_SPLIT_INVOCATIONS, 1024, 4096, 16384, 64]) {
        candidates.push({ TILE_CHANNELS: channels, TAP_ROWS: evenTile(g.kernelHeight, rowsThatFit), LANES_ON_CHANNELS: lanesOnChannels, splitInvocations });
      }
  }
  return unique(candidates);
}

function unique<T>(candidates: T[]): T[] {
  const seen = new Set<string>();
  return candidates.filter((candidate) => !seen.has(JSON.stringify(candidate)) && seen.add(JSON.stringify(candidate)));
}

/** The tuning key of one conv2d kernel at one geometry, e.g. 'conv2d.forward 32x3x32x32 -> 8x32x32, 3x3 stride 1 pad 1,1'. */
function tuningKey(entryPoint: string, g: Conv2dGeometry): string {
  return `conv2d.${entryPoint} ${g.batch}x${g.inChannels}x${g.inHeight}x${g.inWidth} -> ${g.outChannels}x${g.outHeight}x${g.outWidth}, ` +
    `${g.kernelHeight}x${g.kernelWidth} stride ${g.stride} pad ${g.padTop},${g.padLeft}`;
}

function params(geometry: Conv2dGeometry, hasBias: boolean, attributes: Conv2dAttributes, split = { splits: 1, rowsPerSplit: 1 }): Record<string, number> {
  return { ...geometry, hasBias: hasBias ? 1 : 0, relu: activationOf(attributes) === 'relu' ? 1 : 0, ...split };
}

function activationOf(attributes: Conv2dAttributes): Conv2dActivation {
  return requireFusedActivation(attributes.activation, 'conv2d activation');
}

function rowSplit(geometry: Conv2dGeometry, invocationsPerSplit: number, targetInvocations: number): { splits: number; rowsPerSplit: number } {
  const rows = geometry.batch * geometry.outHeight;
  const wanted = Math.min(rows, Math.max(1, Math.ceil(targetInvocations / invocationsPerSplit)));
  const rowsPerSplit = Math.ceil(rows / wanted);
  return { splits: Math.ceil(rows / rowsPerSplit), rowsPerSplit };
}

/**
 * Encodes weight_gradient_partial: partial sums [rows, weights (+ biases)] of dL/dweight (and
 * dL/dbias with `hasBias`), one row per slice of rows and lane, for sum_rows to add.
 */
function encodeWeightGradientPartials(engine: Engine, g: Conv2dGeometry, input: Tensor, gradOutput: Tensor, hasBias: boolean): Tensor {
  const variant = engine.tuning.choose(tuningKey('weight_gradient', g), () => weightGradientCandidates(g, engine.kernels.subgroups !== null));
  const onChannels = variant.LANES_ON_CHANNELS === 1;
  // A group of lanes takes one input channel (its lanes take columns) or LANES of them.
  const inputSlots = onChannels ? Math.ceil(g.inChannels / LANES) : g.inChannels;
  const invocationsPerSplit = LANES * Math.ceil(g.kernelHeight / variant.TAP_ROWS) * inputSlots * Math.ceil(g.outChannels / variant.TILE_CHANNELS);
  const split = rowSplit(g, invocationsPerSplit, variant.splitInvocations);
  const weightCount = g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth;
  const partialRows = split.splits * (onChannels ? 1 : LANES);
  const partialSums = engine.empty([partialRows, weightCount + (hasBias ? g.outChannels : 0)], 'conv2d gradient partial sums');
  engine.dispatch('conv2d', 'weight_gradient_partial', {
    bindings: { input, gradOutput, partialSums },
    params: params(g, hasBias, {}, split),
    invocations: split.splits * invocationsPerSplit,
    specialization: {
      TILE_CHANNELS: variant.TILE_CHANNELS, TAP_ROWS: variant.TAP_ROWS, KERNEL_WIDTH: g.kernelWidth, STRIDE: g.stride,
      LANES_ON_CHANNELS: variant.LANES_ON_CHANNELS,
      ...(onChannels ? { SUBGROUP_SHUFFLES: 1 } : {}),
    },
  });
  return partialSums;
}

export const conv2d = defineOp<Conv2dAttributes>({
  name: 'conv2d',
  inputNames: ['input', 'weight', 'bias?'],
  differentiable: [true, true, true],
  outputShape([input, weight, bias], attributes) {
    const g = conv2dGeometry(input!, weight!, bias, attributes);
    activationOf(attributes);
    return [g.batch, g.outChannels, g.outHeight, g.outWidth];
  },
  forward(engine, [input, weight, bias], attributes, output) {
    const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
    if (g.upsample === 1) {
      engine.dispatch('conv2d', 'forward', {
        // Without a bias the weight is bound in its place (read-only, never read: hasBias = 0).
        bindings: { input: input!, weight: weight!, bias: bias ?? weight!, output },
        params: params(g, bias !== undefined, attributes),
        ...forwardTile(engine, g),
      });
      return;
    }
    // The transposed convolution of the stored input by the upsampled weights, whose epilogue
    // adds the bias and applies the ReLU.
    const transposed = transposedGeometry(g);
    const upsampled = upsampledWeights(engine, weight!, g);
    const { entryPoint, ...tiling } = transposedTile(engine, transposed);
    engine.dispatch('conv2d', entryPoint, {
      bindings: { weight: upsampled, gradOutput: input!, bias: bias ?? upsampled, gradInput: output },
      params: params(transposed, bias !== undefined, attributes),
      ...tiling,
    });
    upsampled.dispose();
  },
  // With z the convolution and y = relu(z) (or y = z): dL/dz = dL/dy * [y > 0] (or dL/dy).
  //   dL/dinput[n, ci, iy, ix] = sum over the taps that read it of weight * dL/dz  (backward_input)
  //   dL/dweight[co, ci, ky, kx] = sum over n, oy, ox of dL/dz * input             (weight_gradient_partial)
  //   dL/dbias[co] = sum over n, oy, ox of dL/dz                                    (the same pass)
  // Under a ReLU, dL/dz is computed once by relu.wgsl's backward ([y > 0] is [z > 0]): both
  // passes read it, and the weight gradient would otherwise load y once per input channel.
  // With `upsample` f, conv2d is a transposed convolution by the upsampled weights wt (derived
  // in conv2d.wgsl), and its gradients are those of the strided convolution it transposes:
  //   dL/dinput = the strided convolution (forward) of dL/dz by wt
  //   dL/dwt = that convolution's weight gradient, with dL/dz as its input and the input as
  //            its output gradient; dL/dweight = the sums of dL/dwt that wt summed (upsampled_weight_gradient)
  //   dL/dbias[co] = sum of dL/dz over n, y, x (bias_gradient_partial and sum_rows).
  backward(engine, { inputs: [input, weight, bias], attributes, output, gradOutput: gradY, needsGradient, reservedGradient }) {
    const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
    const hasBias = bias !== undefined;
    const wantsBias = hasBias && needsGradient[2]!;
    const gradOutput = activationOf(attributes) === 'relu' ? relu.backward(engine, { inputs: [output], output, attributes: {}, gradOutput: gradY, needsGradient: [true] })[0]! : gradY;
    // The weight and bias gradients go where the tape reserved them (an optimiser's buffer), if it did.
    const gradWeight = needsGradient[1] ? (reservedGradient?.(1) ?? engine.empty(weight!.shape, 'conv2d weight gradient')) : null;
    const gradBias = wantsBias ? (reservedGradient?.(2) ?? engine.empty(bias!.shape, 'conv2d bias gradient')) : null;
    if (g.upsample > 1) {
      if (gradWeight) upsampledWeightGradient(engine, g, input!, gradOutput, gradWeight);
      if (gradBias) upsampledBiasGradient(engine, g, gradOutput, gradBias);
    } else if (gradWeight || gradBias) {
      const partialSums = encodeWeightGradientPartials(engine, g, input!, gradOutput, hasBias);
      // The partial sums' rows hold the weights' columns, then the biases'.
      if (gradWeight && gradBias) encodeSumRows(engine, partialSums, 0, [gradWeight, gradBias]);
      else if (gradWeight) encodeSumRows(engine, partialSums, 0, [gradWeight]);
      else if (gradBias) encodeSumRows(engine, partialSums, weight!.size, [gradBias]);
      partialSums.dispose();
    }
    let gradInput: Tensor | null = null;
    if (needsGradient[0]) {
      gradInput = engine.empty(input!.shape, 'conv2d input gradient');
      if (g.upsample === 1) {
        const { entryPoint, ...tiling } = transposedTile(engine, g);
        engine.dispatch('conv2d', entryPoint, {
          // No bias, no ReLU: the epilogue is the forward pass's with `upsample`.
          bindings: { weight: weight!, gradOutput, bias: weight!, gradInput },
          params: params(g, false, {}),
          ...tiling,
        });
      } else {
        const transposed = transposedGeometry(g);
        const upsampled = upsampledWeights(engine, weight!, g);
        engine.dispatch('conv2d', 'forward', {
          bindings: { input: gradOutput, weight: upsampled, bias: upsampled, output: gradInput },
          params: params(transposed, false, {}),
          ...forwardTile(engine, transposed),
        });
        upsampled.dispose();
      }
    }
    if (gradOutput !== gradY) gradOutput.dispose();
    return [gradInput, gradWeight, gradBias];
  },
  reference: {
    forward([input, weight, bias], attributes) {
      const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
      const read = upsampledReference(input!, g);
      const output = new Float64Array(g.batch * g.outChannels * g.outHeight * g.outWidth);
      forEachTap(g, (outputIndex, inputIndex, weightIndex) => {
        output[outputIndex] += read[inputIndex]! * weight!.data[weightIndex]!;
      });
      if (bias) {
        const plane = g.outHeight * g.outWidth;
        output.forEach((_, i) => (output[i] += bias.data[Math.floor(i / plane) % g.outChannels]!));
      }
      if (activationOf(attributes) === 'relu') output.forEach((z, i) => (output[i] = Math.max(z, 0)));
      return output;
    },
    backward({ inputs: [input, weight, bias], attributes, output, gradOutput: gradY }) {
      const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
      // y = relu(z): dL/dz = dL/dy where y > 0, else 0 (the gradient at exactly 0 is 0).
      const relu = activationOf(attributes) === 'relu';
      const gradOutput = { data: relu ? gradY.data.map((upstream, i) => (output.data[i]! > 0 ? upstream : 0)) : gradY.data };
      const read = upsampledReference(input!, g);
      const gradRead = new Float64Array(read.length);
      const gradWeight = new Float64Array(weight!.data.length);
      // Each tap y[o] += x[i] w[k] contributes dL/dx[i] += w[k] dL/dy[o] and dL/dw[k] += x[i] dL/dy[o].
      forEachTap(g, (outputIndex, inputIndex, weightIndex) => {
        const upstream = gradOutput.data[outputIndex]!;
        gradRead[inputIndex] += weight!.data[weightIndex]! * upstream;
        gradWeight[weightIndex] += read[inputIndex]! * upstream;
      });
      // With `upsample`, x was read upsampled: its gradient is upsample2d's backward of gradRead.
      const gradInput = g.upsample === 1 ? gradRead : upsample2d.reference.backward({
        inputs: [input!], attributes: { factor: g.upsample }, output: { shape: [g.batch, g.inChannels, g.inHeight, g.inWidth], data: read },
        gradOutput: { shape: [g.batch, g.inChannels, g.inHeight, g.inWidth], data: gradRead }, needsGradient: [true],
      })[0]!;
      let gradBias: Float64Array | null = null;
      if (bias) {
        // y[n, co, ...] += b[co]  =>  dL/db[co] = sum of dL/dy over n, oy, ox.
        gradBias = new Float64Array(g.outChannels);
        const plane = g.outHeight * g.outWidth;
        gradOutput.data.forEach((upstream, i) => (gradBias![Math.floor(i / plane) % g.outChannels] += upstream));
      }
      return [gradInput, gradWeight, gradBias];
    },
  },
});

/** The input as the convolution reads it: upsampled by nearest neighbour (upsample2d's reference), or itself. */
function upsampledReference(input: HostTensor, g: Conv2dGeometry): Float64Array {
  if (g.upsample === 1) return input.data;
  return upsample2d.reference.forward([input], { factor: g.upsample }, [g.batch, g.inChannels, g.inHeight, g.inWidth]);
}

/** Visits every (output, input, weight) index triple of the convolution that lands inside the input. */
function forEachTap(g: Conv2dGeometry, visit: (outputIndex: number, inputIndex: number, weightIndex: number) => void): void {
  for (let n = 0; n < g.batch; n++)
    for (let co = 0; co < g.outChannels; co++)
      for (let oy = 0; oy < g.outHeight; oy++)
        for (let ox = 0; ox < g.outWidth; ox++) {
          const outputIndex = ((n * g.outChannels + co) * g.outHeight + oy) * g.outWidth + ox;
          for (let ci = 0; ci < g.inChannels; ci++)
            for (let ky = 0; ky < g.kernelHeight; ky++) {
              const iy = oy * g.stride + ky - g.padTop;
              if (iy < 0 || iy >= g.inHeight) continue;
              for (let kx = 0; kx < g.kernelWidth; kx++) {
                const ix = ox * g.stride + kx - g.padLeft;
                if (ix < 0 || ix >= g.inWidth) continue;
                visit(outputIndex, ((n * g.inChannels + ci) * g.inHeight + iy) * g.inWidth + ix, ((co * g.inChannels + ci) * g.kernelHeight + ky) * g.kernelWidth + kx);
              }
            }
        }
}

