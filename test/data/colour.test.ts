// The colour spaces: published values of pure colours, and round trips over a grid of 8-bit colours.
import { describe, expect, it } from 'vitest';
import {
  labToRgb,
  notebookRgbToYcbcr,
  notebookYcbcrToRgb,
  rgbToLab,
  rgbToYcbcr,
  ycbcrToRgb,
  type Triple,
} from '../../src/data/colour.ts';

/** Every 8-bit RGB triple on a grid of 15 levels (0, 15, ..., 255: 18^3 colours), on [0, 1]. */
function grid(): Triple[] {
  const levels = Array.from({ length: 18 }, (_, i) => (15 * i) / 255);
  return levels.flatMap((r) => levels.flatMap((g) => levels.map((b): Triple => [r, g, b])));
}
const largestDifference = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((value, i) => Math.abs(value - b[i]!)));

describe('BT.601 full-range YCbCr (JPEG)', () => {
  // Y, Cb, Cr of the JFIF formulas, by hand: red (0.299, 0.5 - 0.168736, 1), and so on.
  it.each([
    [
      [1, 0, 0],
      [0.299, 0.331264, 1],
    ],
    [
      [0, 1, 0],
      [0.587, 0.168736, 0.081312],
    ],
    [
      [0, 0, 1],
      [0.114, 1, 0.418688],
    ],
    [
      [1, 1, 1],
      [1, 0.5, 0.5],
    ],
    [
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
    ],
  ] as [Triple, Triple][])('%j -> %j', (rgb, expected) => {
    expect(largestDifference(rgbToYcbcr(...rgb), expected)).toBeLessThan(1e-12);
  });

  it('round-trips every colour of the grid to 1e-6', () => {
    const errors = grid().map((rgb) => largestDifference(ycbcrToRgb(...rgbToYcbcr(...rgb)), rgb));
    expect(Math.max(...errors)).toBeLessThan(1e-6);
  });

  it('keeps Y, Cb and Cr on [0, 1]', () => {
    const values = grid().flatMap((rgb) => rgbToYcbcr(...rgb));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1e-12);
    expect(Math.max(...values)).toBeLessThanOrEqual(1 + 1e-12);
  });
});

describe('sRGB to CIE L*a*b* (D65)', () => {
  // Published values (sRGB, D65, 2 degree observer; e.g. Lindbloom's calculator).
  it.each([
    [
      [1, 0, 0],
      [53.2408, 80.0925, 67.2032],
    ],
    [
      [0, 1, 0],
      [87.7347, -86.1827, 83.1793],
    ],
    [
      [0, 0, 1],
      [32.297, 79.1875, -107.8602],
    ],
    [
      [1, 1, 1],
      [100, 0, 0],
    ],
    [
      [0.5, 0.5, 0.5],
      [53.3889, 0, 0],
    ],
    [
      [0, 0, 0],
      [0, 0, 0],
    ],
  ] as [Triple, Triple][])('%j -> %j', (rgb, expected) => {
    expect(largestDifference(rgbToLab(...rgb), expected)).toBeLessThan(2e-3);
  });

  it('round-trips every colour of the grid to 1e-6', () => {
    const errors = grid().map((rgb) => largestDifference(labToRgb(...rgbToLab(...rgb)), rgb));
    expect(Math.max(...errors)).toBeLessThan(1e-6);
  });
});

describe("the notebook's conversion", () => {
  it('does not round-trip: its inverse is not the inverse of its forward', () => {
    const errors = grid().map((rgb) => largestDifference(notebookYcbcrToRgb(...notebookRgbToYcbcr(...rgb)), rgb));
    expect(Math.max(...errors)).toBeGreaterThan(0.5);
  });
  it("gives white a Y of 1.03 (blue's share 0.144, not 0.114)", () => {
    expect(notebookRgbToYcbcr(1, 1, 1)[0]).toBeCloseTo(1.03, 12);
  });
});
