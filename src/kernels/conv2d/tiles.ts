// conv2d's register tiles: the heuristic each pass uses, and the candidates the tuner
// (tuning/tuner.ts) may time instead on an adapter. Every candidate runs the same WGSL with
// other specialised constants and another dispatch size; test/tuning/tuning.test.ts checks each
// against the float64 reference. Nothing here changes what conv2d computes, only how fast.
import type { Engine } from '../../backend/engine.ts';
import type { Conv2dGeometry } from './geometry.ts';
import { compilesAllPhasesTiles } from '../../tuning/adapter-kind.ts';

/** The kernels: adjacent invocations (lanes) take adjacent columns. */
export const LANES = 8;
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
 * multiply-adds (docs/performance.md has the five convs timed both ways). A GPU wants many
 * more invocations; its tuner finds them among the other splits.
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
 * On lavapipe at the notebook's shapes this beats the wider, shorter tiles; other adapters
 * get their own tile from the tuner.
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
          const tile = {
            TILE_X: tileX,
            TILE_Y: tileY,
            TILE_CHANNELS: evenTile(channels, channelLimit),
            SUBGROUP_SHUFFLES: shuffles,
          };
          if (tileX * tileY * tile.TILE_CHANNELS <= MAX_ACCUMULATORS) candidates.push(tile);
        }
  return unique(candidates);
}

function rowTileDispatch(tile: RowTileSize, width: number, channels: number, height: number, batch: number) {
  const invocations =
    batch *
    Math.ceil(height / tile.TILE_Y) *
    LANES *
    Math.ceil(width / (LANES * tile.TILE_X)) *
    Math.ceil(channels / tile.TILE_CHANNELS);
  return { specialization: { ...tile }, invocations };
}

/** The forward pass's row tile (output rows and channels): the tuner's choice, or the heuristic. */
export function forwardTile(engine: Engine, g: Conv2dGeometry) {
  const subgroups = engine.kernels.subgroups !== null;
  const tile = engine.tuning.choose(tuningKey('forward', g), () =>
    withRowWindow(rowTileCandidates(g.outWidth, g.outChannels, g.outHeight, subgroups), subgroups),
  );
  const { specialization, invocations } = rowTileDispatch(tile, g.outWidth, g.outChannels, g.outHeight, g.batch);
  return {
    specialization: { ...specialization, ...rowWindowSpecialization(tile.ROW_WINDOW, g, subgroups) },
    invocations,
  };
}

/** A row tile of the forward pass or backward_input, with or without its row window. */
interface WindowedRowTileSize extends RowTileSize {
  /** 1: the tile's rows are loaded once per kernel column (conv2d/prelude.wgsl, ROW_WINDOW). */
  readonly ROW_WINDOW: number;
}

/**
 * The row tiles of the forward pass or backward_input as candidates: the heuristic tile with
 * and without ROW_WINDOW (conv2d/prelude.wgsl: the tile's rows loaded once per kernel column), then the
 * other tiles without it. The heuristic uses the window where lanes shuffle, where the
 * training step runs a little faster with it; elsewhere the tuner decides. Only one tile has
 * both: lavapipe compiles an unrolled window for seconds, and offering it with every tile
 * would multiply the tuning time.
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
 * run time, and the step runs slower than without it.
 */
function rowWindowSpecialization(
  rowWindow: number | undefined,
  g: Conv2dGeometry,
  subgroups: boolean,
): Record<string, number> {
  return {
    KERNEL_HEIGHT: g.kernelHeight,
    STRIDE: g.stride,
    ...(rowWindow === 1 && subgroups ? { UNROLL_LOOPS: 1 } : {}),
  };
}

/**
 * The input gradient's (the transposed convolution's) tile. For stride s > 1 it is either a
 * row tile of one of the s x s phases (backward_input, each phase as an image of its own), or,
 * with ALL_PHASES 1, TILE_Y blocks of s rows with all their phases (backward_input_all_phases).
 */
interface TransposedTileSize extends RowTileSize {
  readonly ALL_PHASES?: number;
  /** Phase-wise tiles: 1 loads the tile's dL/dz rows once per tap column (conv2d/prelude.wgsl, ROW_WINDOW). */
  readonly ROW_WINDOW?: number;
  /** All-phases tiles: 1 has the engine unroll the kernel's loops (conv2d/prelude.wgsl, UNROLL_LOOPS). */
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
function stridePhases(g: Conv2dGeometry): {
  width: number;
  height: number;
  window: { WINDOW_Y: number; WINDOW_X: number } | null;
} {
  const windowY = allPhasesWindow(g.kernelHeight, g.padTop, g.stride);
  const windowX = allPhasesWindow(g.kernelWidth, g.padLeft, g.stride);
  return {
    width: Math.ceil(g.inWidth / g.stride),
    height: Math.ceil(g.inHeight / g.stride),
    window: windowY === null || windowX === null ? null : { WINDOW_Y: windowY, WINDOW_X: windowX },
  };
}

/** The tiles the input gradient may use: for stride > 1, the phase-wise row tiles and the all-phases ones. */
function transposedTileCandidates(
  g: Conv2dGeometry,
  subgroups: boolean,
  allPhasesCompile: boolean,
): TransposedTileSize[] {
  const phases = stridePhases(g);
  const rowTiles = withRowWindow(rowTileCandidates(phases.width, g.inChannels, phases.height, subgroups), subgroups);
  // Few channels give each dL/dz value backward_input loads few multiply-adds, which the
  // all-phases window makes up for: on lavapipe it beats the tuned phase-wise tile on the
  // notebook's upsampled 12->3 conv (3 channels, stride 2) and loses on its 16->12 conv, and
  // its large unrolled bodies compile slowly, so it is offered, and is the heuristic (4 rows
  // first), only up to MAX_ALL_PHASES_CHANNELS channels.
  // Where the lanes share weights by shuffles, the heuristic also has the engine unroll its
  // loops (UNROLL_LOOPS), which lets the lanes share a whole channel's weights (faster than
  // rolled on lavapipe). Only there: the unrolling is for the shared weights
  // (rolled, the lanes share them tap by tap). SwiftShader is offered no all-phases tile: its
  // compiler cannot take them (tuning/adapter-kind.ts).
  if (g.stride === 1 || phases.window === null || g.inChannels > MAX_ALL_PHASES_CHANNELS || !allPhasesCompile)
    return rowTiles;
  const phaseCount = g.stride * g.stride;
  const allPhases: TransposedTileSize[] = [];
  for (const tileY of [4, 2, 1, MAX_TILE_Y].filter(
    (y) => y <= phases.height && y * phaseCount * g.inChannels <= MAX_ACCUMULATORS,
  ))
    for (const shuffles of subgroups ? [1, 0] : [0])
      for (const unroll of shuffles ? [1, 0] : [0])
        allPhases.push({
          TILE_X: 1,
          TILE_Y: tileY,
          TILE_CHANNELS: g.inChannels,
          SUBGROUP_SHUFFLES: shuffles,
          ALL_PHASES: 1,
          UNROLL_LOOPS: unroll,
        });
  return [...allPhases, ...rowTiles.map((tile): TransposedTileSize => ({ ...tile, ALL_PHASES: 0 }))];
}

export function transposedTile(
  engine: Engine,
  g: Conv2dGeometry,
): {
  entryPoint: 'backward_input' | 'backward_input_all_phases';
  specialization: Record<string, number>;
  invocations: number;
} {
  const { ALL_PHASES, ...tile } = engine.tuning.choose(tuningKey('backward_input', g), () =>
    transposedTileCandidates(g, engine.kernels.subgroups !== null, compilesAllPhasesTiles(engine.traits)),
  );
  const phases = stridePhases(g);
  if (ALL_PHASES === 1) {
    const { invocations } = rowTileDispatch(tile, phases.width, g.inChannels, phases.height, g.batch);
    const kernel = {
      KERNEL_HEIGHT: g.kernelHeight,
      KERNEL_WIDTH: g.kernelWidth,
      PAD_TOP: g.padTop,
      PAD_LEFT: g.padLeft,
    };
    return {
      entryPoint: 'backward_input_all_phases',
      specialization: { ...tile, STRIDE: g.stride, ...phases.window!, ...kernel },
      invocations,
    };
  }
  const { specialization, invocations } = rowTileDispatch(
    tile,
    phases.width,
    g.inChannels,
    phases.height,
    g.batch * g.stride * g.stride,
  );
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
        candidates.push({
          TILE_CHANNELS: channels,
          TAP_ROWS: evenTile(g.kernelHeight, rowsThatFit),
          LANES_ON_CHANNELS: lanesOnChannels,
          splitInvocations,
        });
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
  return (
    `conv2d.${entryPoint} ${g.batch}x${g.inChannels}x${g.inHeight}x${g.inWidth} -> ${g.outChannels}x${g.outHeight}x${g.outWidth}, ` +
    `${g.kernelHeight}x${g.kernelWidth} stride ${g.stride} pad ${g.padTop},${g.padLeft}`
  );
}

function rowSplit(
  geometry: Conv2dGeometry,
  invocationsPerSplit: number,
  targetInvocations: number,
): { splits: number; rowsPerSplit: number } {
  const rows = geometry.batch * geometry.outHeight;
  const wanted = Math.min(rows, Math.max(1, Math.ceil(targetInvocations / invocationsPerSplit)));
  const rowsPerSplit = Math.ceil(rows / wanted);
  return { splits: Math.ceil(rows / rowsPerSplit), rowsPerSplit };
}

/**
 * The weight gradient's dispatch: its variant (the tuner's choice, or the heuristic), how its
 * rows are split, and how many rows of partial sums it writes (one per split, and per lane
 * where lanes take columns).
 */
export function weightGradientTile(engine: Engine, g: Conv2dGeometry) {
  const variant = engine.tuning.choose(tuningKey('weight_gradient', g), () =>
    weightGradientCandidates(g, engine.kernels.subgroups !== null),
  );
  const onChannels = variant.LANES_ON_CHANNELS === 1;
  // A group of lanes takes one input channel (its lanes take columns) or LANES of them.
  const inputSlots = onChannels ? Math.ceil(g.inChannels / LANES) : g.inChannels;
  const invocationsPerSplit =
    LANES *
    Math.ceil(g.kernelHeight / variant.TAP_ROWS) *
    inputSlots *
    Math.ceil(g.outChannels / variant.TILE_CHANNELS);
  const split = rowSplit(g, invocationsPerSplit, variant.splitInvocations);
  return {
    split,
    partialRows: split.splits * (onChannels ? 1 : LANES),
    invocations: split.splits * invocationsPerSplit,
    specialization: {
      TILE_CHANNELS: variant.TILE_CHANNELS,
      TAP_ROWS: variant.TAP_ROWS,
      KERNEL_WIDTH: g.kernelWidth,
      STRIDE: g.stride,
      LANES_ON_CHANNELS: variant.LANES_ON_CHANNELS,
      ...(onChannels ? { SUBGROUP_SHUFFLES: 1 } : {}),
    },
  };
}
