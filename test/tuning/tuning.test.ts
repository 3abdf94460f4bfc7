// Per-adapter kernel variants: the table's choices, the tuner, the cache file, and, above
// all, that every variant the tuner may pick computes what the float64 reference computes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TuningTable, type TuningFile } from '../../src/tuning/table.ts';
import { chooseCandidate, timeWorkWithAndWithoutChallengers, tune } from '../../src/tuning/tuner.ts';
import { EXHAUSTIVE_LIMIT, neighbours, searchCandidates } from '../../src/tuning/search.ts';
import { loadTuning, tuneWithCache, tuningFilePath } from '../../src/tuning/cache.ts';
import { Conv2d } from '../../src/nn/modules.ts';
import { Sequential } from '../../src/nn/sequential.ts';
import { backward } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import { Random } from '../../src/random.ts';
import { checkDrawnVariants, checkVariants, variantCases, variantProblems } from '../../src/checks/variants.ts';
import { describeCase, opCases } from '../../src/checks/cases.ts';
import { ops } from '../../src/kernels/registry.ts';
import type { Op } from '../../src/kernels/op.ts';
import { testEngine } from '../support/engine.ts';

const engine = await testEngine();
const scratch = mkdtempSync(join(tmpdir(), 'aelab-tuning-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('TuningTable', () => {
  const candidates = [{ tile: 4 }, { tile: 2 }, { tile: 1 }];

  it('answers the heuristic (the first candidate) for a key nobody tuned', () => {
    expect(new TuningTable().choose('k', () => candidates)).toBe(candidates[0]);
  });

  it('answers the tuned candidate, and the heuristic again when disabled', () => {
    const table = new TuningTable();
    table.set('k', { choice: JSON.stringify({ tile: 1 }), timings: [] });
    expect(table.choose('k', () => candidates)).toBe(candidates[2]);
    table.enabled = false;
    expect(table.choose('k', () => candidates)).toBe(candidates[0]);
  });

  it('falls back to the heuristic when the tuned candidate is no longer offered', () => {
    const table = new TuningTable();
    table.set('k', { choice: JSON.stringify({ tile: 8 }), timings: [] });
    expect(table.choose('k', () => candidates)).toBe(candidates[0]);
  });

  it("builds a key's candidates on its first request only", () => {
    const table = new TuningTable();
    let built = 0;
    const build = () => {
      built += 1;
      return candidates;
    };
    for (let i = 0; i < 3; i++) expect(table.choose('k', build)).toBe(candidates[0]);
    expect(built).toBe(1);
  });

  it('collects the keys asked for, with their candidates', () => {
    const table = new TuningTable();
    const keys = table.collect(() => {
      table.choose('a', () => candidates);
      table.choose('b', () => [1, 2]);
    });
    expect([...keys.keys()]).toEqual(['a', 'b']);
    expect(keys.get('b')).toEqual([1, 2]);
  });

  it('adopts a file only from the same adapter and the same kernel sources', () => {
    const file: TuningFile = {
      adapter: 'gpu A',
      kernelsVersion: 'v1',
      entries: { k: { choice: '{"tile":2}', timings: [] } },
    };
    const table = new TuningTable();
    expect(table.load({ ...file, adapter: 'gpu B' }, 'gpu A', 'v1')).toBe(false);
    expect(table.load({ ...file, kernelsVersion: 'other' }, 'gpu A', 'v1')).toBe(false);
    expect(table.size).toBe(0);
    expect(table.load(file, 'gpu A', 'v1')).toBe(true);
    expect(table.choose('k', () => candidates)).toBe(candidates[1]);
  });

  it("leaves out a provisional challenger (an interrupted tuning's, before its work check): it is timed again", () => {
    const file: TuningFile = {
      adapter: 'gpu A',
      kernelsVersion: 'v1',
      entries: {
        done: { choice: '{"tile":4}', timings: [] },
        interrupted: { choice: '{"tile":2}', timings: [], provisional: true },
      },
    };
    const table = new TuningTable();
    expect(table.load(file, 'gpu A', 'v1')).toBe(true);
    expect([table.has('done'), table.has('interrupted')]).toEqual([true, false]);
  });
});

describe('the search over many candidates', () => {
  // A row-tile grid as conv2d offers it: the heuristic first, tiles over 32 accumulators left out.
  const grid: { TILE_X: number; TILE_Y: number; TILE_CHANNELS: number }[] = [
    { TILE_X: 1, TILE_Y: 8, TILE_CHANNELS: 4 },
  ];
  for (const TILE_X of [1, 2, 4])
    for (const TILE_Y of [1, 2, 4, 8])
      for (const TILE_CHANNELS of [2, 4]) {
        if (TILE_X * TILE_Y * TILE_CHANNELS <= 32 && !(TILE_X === 1 && TILE_Y === 8 && TILE_CHANNELS === 4))
          grid.push({ TILE_X, TILE_Y, TILE_CHANNELS });
      }
  const describeTile = (i: number) => JSON.stringify(grid[i]);

  it('finds the neighbours one step away in one field, the other fields equal', () => {
    expect(neighbours(grid, 0).map(describeTile).sort()).toEqual(
      [
        { TILE_X: 1, TILE_Y: 4, TILE_CHANNELS: 4 },
        { TILE_X: 1, TILE_Y: 8, TILE_CHANNELS: 2 },
      ]
        .map((tile) => JSON.stringify(tile))
        .sort(),
    );
    expect(neighbours([3, 1, 2, 8], 2)).toEqual([1, 0]);
    expect(
      neighbours(
        [
          { a: 1, b: 1 },
          { a: 2, b: 2 },
        ],
        0,
      ),
    ).toEqual([]);
  });

  it('walks from the heuristic to the fastest tile of a smooth cost, timing fewer than all', async () => {
    // Fastest at 4 x 2 x 2, each field's distance from it adding cost.
    const cost = (i: number) => {
      const tile = grid[i]!;
      return (
        1 +
        Math.abs(Math.log2(tile.TILE_X / 4)) +
        Math.abs(Math.log2(tile.TILE_Y / 2)) +
        0.5 * Math.abs(Math.log2(tile.TILE_CHANNELS / 2))
      );
    };
    const steps: number[][] = [];
    const timed = await searchCandidates(grid, async (indices) => {
      steps.push([...indices]);
      return new Map(indices.map((i) => [i, cost(i)]));
    });
    expect(grid.length).toBeGreaterThan(EXHAUSTIVE_LIMIT);
    const best = [...timed].reduce((a, b) => (b[1] < a[1] ? b : a))[0];
    expect(grid[best]).toEqual({ TILE_X: 4, TILE_Y: 2, TILE_CHANNELS: 2 });
    expect(timed.size).toBeLessThan(grid.length);
    expect(steps[0]![0]).toBe(0);
    // Each step starts from the fastest so far and times each candidate at most once besides it.
    expect(steps.slice(1).flatMap((step) => step.slice(1)).length + steps[0]!.length).toBe(timed.size);
  });

  it('keeps the fastest candidate only if it beats the heuristic by 5% twice: in the search and timed again beside it alone', async () => {
    const searched = new Map([
      [0, 10],
      [1, 9.4],
      [2, 8],
      [3, 12],
    ]);
    const askedAgain: number[][] = [];
    const timeAgain = (second: number) => async (indices: readonly number[]) => {
      askedAgain.push([...indices]);
      return new Map([
        [0, 10],
        [indices[1]!, second],
      ]);
    };
    expect(await chooseCandidate(searched, timeAgain(8.1))).toEqual({
      choice: 2,
      confirmation: { challenger: 2, heuristicMilliseconds: 10, challengerMilliseconds: 8.1 },
    });
    expect(askedAgain).toEqual([[0, 2]]);
    expect((await chooseCandidate(searched, timeAgain(9.7))).choice).toBe(0); // a lucky sample in the search
    expect(
      await chooseCandidate(
        new Map([
          [0, 10],
          [1, 9.6],
        ]),
        timeAgain(5),
      ),
    ).toEqual({ choice: 0 }); // never clearly faster
    expect(askedAgain).toHaveLength(2);
  });

  it('times every candidate of a small key', async () => {
    const small = grid.slice(0, EXHAUSTIVE_LIMIT);
    const timed = await searchCandidates(small, async (indices) => new Map(indices.map((i) => [i, 1 + i])));
    expect([...timed.keys()].sort((a, b) => a - b)).toEqual(small.map((_, i) => i));
  });
});

describe.skipIf(!engine)('conv2d variants', () => {
  for (const [index, spec] of variantCases.entries()) {
    it(`every candidate matches the reference: ${describeCase(spec)}`, async () => {
      const results = await checkVariants(engine!, spec, 2000 + index);
      expect(results.map((result) => result.key.split(' ')[0])).toContain('conv2d.backward_input');
      expect(new Set(results.map((result) => result.key.split(' ')[0]))).toEqual(
        new Set(['conv2d.forward', 'conv2d.weight_gradient', 'conv2d.backward_input']),
      );
      expect(results.length).toBeGreaterThan(10);
      expect(variantProblems(results)).toEqual([]);
    });
  }
});

describe.skipIf(!engine)(
  'conv2d op cases, each tunable dispatch with a variant drawn from the non-heuristic ones',
  () => {
    for (const [index, spec] of opCases.conv2d.entries()) {
      it(describeCase(spec), async () => {
        const results = await checkDrawnVariants(engine!, spec, 4000 + index, ops.conv2d as Op<unknown>);
        // The forward pass and the weight gradient at least (the input gradient where it is asked for).
        expect(results.length).toBeGreaterThanOrEqual(2);
        expect(variantProblems(results)).toEqual([]);
      });
    }
  },
);

describe.skipIf(!engine)('tuner', () => {
  const random = new Random(5);
  const model = new Sequential([
    new Conv2d(engine!, { inChannels: 2, outChannels: 4, kernelSize: 3, activation: 'relu', random }),
    new Conv2d(engine!, { inChannels: 4, outChannels: 2, kernelSize: 3, random }),
  ]);
  const input = engine ? engine.tensor(random.values(4 * 2 * 8 * 8, 0, 1), [4, 2, 8, 8]).keep() : null;
  const work = () => {
    backward(F.meanSquaredError(F.sigmoid(model.forward(input!)), input!));
    model.zeroGrad();
  };
  const quick = { rounds: 1, targetSampleMilliseconds: 2, workSampleMilliseconds: 10 };

  it('times every candidate of every tunable dispatch in the work and keeps the fastest (or the heuristic, unless clearly beaten)', async () => {
    const before = await Promise.all(model.parameters().map((parameter) => parameter.read()));
    const tuned = await tune(engine!, work, quick);
    // Two convs: forward and weight gradient each, and the input gradient of the second only
    // (the first's input is data).
    expect(tuned.map((result) => result.key.split(' ')[0]).sort()).toEqual([
      'conv2d.backward_input',
      'conv2d.forward',
      'conv2d.forward',
      'conv2d.weight_gradient',
      'conv2d.weight_gradient',
    ]);
    for (const result of tuned) {
      const entry = engine!.tuning.get(result.key)!;
      expect(entry.timings).toHaveLength(result.candidates);
      const fastest = Math.min(...entry.timings.map((timing) => timing.milliseconds));
      expect(entry.timings.find((timing) => timing.candidate === entry.choice)!.milliseconds).toBe(
        result.chosenMilliseconds,
      );
      // The heuristic stays unless the fastest beat it by 5%, and again when the two were timed
      // alone (the confirmation); otherwise the fastest wins.
      if (result.chosenMilliseconds !== fastest) expect(entry.choice).toBe(entry.timings[0]!.candidate);
      const beaten = fastest < 0.95 * result.heuristicMilliseconds;
      expect(result.confirmation !== undefined).toBe(beaten);
      // The table keeps the confirmation, naming the candidate that challenged the heuristic.
      expect(entry.confirmation).toEqual(result.confirmation);
      if (beaten)
        expect(entry.confirmation!.challenger).toBe(
          entry.timings.find((timing) => timing.milliseconds === fastest)!.candidate,
        );
      const confirmed =
        beaten && result.confirmation!.challengerMilliseconds < 0.95 * result.confirmation!.heuristicMilliseconds;
      // A confirmed challenger stays only if the whole work ran faster with the call's challengers.
      expect(entry.workCheck !== undefined).toBe(confirmed);
      expect(entry.workCheck).toEqual(result.workCheck);
      const kept = confirmed && entry.workCheck!.withChallengers < entry.workCheck!.withHeuristics;
      expect(entry.choice === entry.timings[0]!.candidate).toBe(!kept);
      expect(result.choice).toBe(entry.choice);
      if (kept) expect(result.chosenMilliseconds).toBeLessThan(0.95 * result.heuristicMilliseconds);
    }
    // One work check covers every challenger of the call.
    expect(
      new Set(tuned.filter((result) => result.workCheck).map((result) => JSON.stringify(result.workCheck))).size,
    ).toBeLessThanOrEqual(1);
    // The work left the model as it found it, and a second tuning has nothing left to time.
    expect(await Promise.all(model.parameters().map((parameter) => parameter.read()))).toEqual(before);
    expect(await tune(engine!, work, quick)).toEqual([]);
  });

  it('times the work with the challengers and with the heuristics at their keys, then restores the table', async () => {
    const engine = await testEngine(); // its own table: the cache test below saves this suite's
    const key = 'tuning test key';
    const offered = [{ tile: 8 }, { tile: 4 }];
    const seen: number[] = [];
    const chooses = () => void seen.push(engine!.tuning.choose(key, () => offered).tile);
    engine!.tuning.set(key, {
      choice: JSON.stringify(offered[1]),
      timings: offered.map((candidate, i) => ({ candidate: JSON.stringify(candidate), milliseconds: 2 - i })),
    });
    const check = await timeWorkWithAndWithoutChallengers(engine!, chooses, [key], quick);
    expect(check.withChallengers).toBeGreaterThan(0);
    expect(check.withHeuristics).toBeGreaterThan(0);
    // Each way: three calibration runs, then a sample (of one or more runs) a round.
    expect(seen.filter((tile) => tile === 4).length).toBeGreaterThanOrEqual(4);
    expect(seen.filter((tile) => tile === 8).length).toBeGreaterThanOrEqual(4);
    expect(seen.filter((tile) => tile !== 4 && tile !== 8)).toEqual([]);
    expect(engine!.tuning.choose(key, () => offered)).toBe(offered[1]);
  });

  it('reports each finished key as it goes, so a saved table holds what was timed before an interruption', async () => {
    let changes = 0;
    const tuned = await tune(engine!, work, { ...quick, retune: true, onTableChanged: () => (changes += 1) });
    expect(tuned).toHaveLength(5);
    // One call per key as it finishes, one more after a work check.
    expect(changes).toBe(tuned.length + (tuned.some((result) => result.workCheck) ? 1 : 0));
    for (const result of tuned) expect(engine!.tuning.get(result.key)!.provisional).toBeUndefined();
  });

  it('stops timing once keys in a row keep their heuristic; the rest keep theirs untimed, and are not timed again', async () => {
    let untimed = -1;
    // The heuristic (index 0) is always the fastest: every timed key keeps it.
    const options = {
      ...quick,
      stopAfterUnchanged: 2,
      timeCandidate: (_key: string, index: number) => 1 + index,
      onStoppedEarly: (count: number) => (untimed = count),
    };
    const tuned = await tune(engine!, work, { ...options, retune: true });
    expect(tuned).toHaveLength(2);
    expect(untimed).toBe(3);
    const untimedKeys = [...engine!.tuning.collect(work).keys()].filter((key) => engine!.tuning.get(key)?.untimed);
    expect(untimedKeys).toHaveLength(3);
    for (const key of untimedKeys)
      expect(engine!.tuning.get(key)!.choice).toBe(JSON.stringify(engine!.tuning.collect(work).get(key)![0]));
    for (const result of tuned) expect(result.choice).toBe(engine!.tuning.get(result.key)!.timings[0]!.candidate);
    expect(await tune(engine!, work, options)).toEqual([]);
    // A challenger that wins resets the count: with every key won by index 1, nothing stops early.
    let stopped = false;
    const won = await tune(engine!, work, {
      ...quick,
      retune: true,
      stopAfterUnchanged: 2,
      timeCandidate: (_key, index) => (index === 1 ? 0.5 : 1 + index),
      onStoppedEarly: () => (stopped = true),
    });
    expect(stopped).toBe(false);
    expect(won).toHaveLength(5);
  });

  it('keeps tunings per adapter in the cache and times nothing on the next run', async () => {
    const path = tuningFilePath(engine!.adapterDescription, scratch);
    expect(path.startsWith(join(scratch, 'tuning'))).toBe(true);
    const first = await tuneWithCache(engine!, work, { ...quick, retune: true, path });
    expect(first.length).toBe(5);
    const file = JSON.parse(readFileSync(path, 'utf8')) as TuningFile;
    expect(file.adapter).toBe(engine!.adapterDescription);
    expect(Object.keys(file.entries).sort()).toEqual(first.map((result) => result.key).sort());

    // A fresh engine's table adopts the file; a file of other kernel sources is ignored.
    const other = (await testEngine())!;
    expect(loadTuning(other, path)).toBe(5);
    writeFileSync(path, JSON.stringify({ ...file, kernelsVersion: 'stale' }));
    const fresh = (await testEngine())!;
    expect(loadTuning(fresh, path)).toBe(0);
    writeFileSync(path, '{ truncated');
    expect(loadTuning(fresh, path)).toBe(0);
  });
});
