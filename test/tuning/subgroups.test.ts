// Subgroup shuffles (src/tuning/subgroups.ts): the probe that decides whether kernels may
// use them, the helper the kernels call, and the guard that keeps SUBGROUP_SHUFFLES off a
// device without them. That every conv2d tile, shuffling or not, computes what the float64
// reference computes is tuning.test.ts's job: the candidates include both.
import { describe, expect, it } from 'vitest';
import { withSubgroupHelpers } from '../../src/tuning/subgroups.ts';
import { Engine } from '../../src/backend/engine.ts';
import { wgsl } from '#wgsl/kernels';
import { testEngine } from '../support/engine.ts';

const kernel = 'fn f(v: f32) -> f32 {\n  return shuffleFromLane(v, 3u);\n}';

describe('withSubgroupHelpers', () => {
  it('leaves a kernel that never shuffles as it is', () => {
    const source = 'fn f(v: f32) -> f32 { return v; }';
    expect(withSubgroupHelpers(source, { size: 8 })).toBe(source);
    expect(withSubgroupHelpers(source, null)).toBe(source);
  });

  it('with subgroups: enables them on the first line, so compile errors keep their line numbers, and shuffles', () => {
    const text = withSubgroupHelpers(kernel, { size: 8 });
    expect(text.split('\n')[0]).toBe('enable subgroups; diagnostic(off, subgroup_uniformity); fn f(v: f32) -> f32 {');
    expect(text.split('\n').slice(1, 3)).toEqual(kernel.split('\n').slice(1));
    expect(text).toMatch(
      /fn shuffleFromLane\(value: f32, lane: u32\) -> f32 \{ return subgroupShuffle\(value, lane\); \}/,
    );
  });

  it('without: a helper that needs no feature, so the kernel still compiles (the host never calls it)', () => {
    const text = withSubgroupHelpers(kernel, null);
    expect(text).not.toMatch(/enable|subgroupShuffle/);
    expect(text).toMatch(/fn shuffleFromLane\(value: f32, lane: u32\) -> f32 \{ return value; \}/);
  });
});

const engine = await testEngine();

describe.skipIf(!engine)('subgroups on this device', () => {
  it('are used exactly where the adapter reports one fixed size, a multiple of 8 (lavapipe under Dawn: 8)', () => {
    const info = (engine!.device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } })
      .adapterInfo;
    const size = info?.subgroupMinSize ?? 0;
    const usable =
      engine!.device.features.has('subgroups') && size > 0 && size === info?.subgroupMaxSize && size % 8 === 0;
    expect(engine!.kernels.subgroups).toEqual(usable ? { size } : null);
    expect(engine!.adapterDescription.endsWith(`, subgroups of ${size}`)).toBe(usable);
  });

  // scripts/test.sh runs these checks and the conv2d variants a second time with lavapipe at
  // 16 lanes: its subgroups of 16 then hold two of the kernels' groups of 8 (what
  // groupStartLane in conv2d/prelude.wgsl is for). This keeps that run from passing on 8 lanes
  // should the setting be ignored.
  it.runIf(process.env['LP_NATIVE_VECTOR_WIDTH'] === '512' && /llvmpipe/.test(engine?.adapterDescription ?? ''))(
    'lavapipe at 16 lanes (LP_NATIVE_VECTOR_WIDTH=512) has subgroups of 16, and the kernels use them',
    () => {
      expect(engine!.kernels.subgroups).toEqual({ size: 16 });
    },
  );

  it('are refused, with a clear error, to a kernel specialised to shuffle on an engine without them', async () => {
    const withoutSubgroups = await Engine.create(engine!.device, { subgroups: false });
    expect(withoutSubgroups.kernels.subgroups).toBeNull();
    expect(() =>
      withoutSubgroups.kernels.entryPoint('conv2d', wgsl.conv2dForward.source, 'forward', {}, { SUBGROUP_SHUFFLES: 1 }),
    ).toThrow(/conv2d\.forward': SUBGROUP_SHUFFLES = 1 needs subgroups/);
  });
});
