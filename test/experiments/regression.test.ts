// The sweep report's least squares and its 95% band, against values computed by hand.
import { describe, expect, it } from 'vitest';
import { linearFit, studentT975 } from '../../src/experiments/regression.ts';

describe('least squares with a 95% confidence band', () => {
  it('fits x = 1..5, y = 2, 4, 5, 4, 5: slope 0.6, intercept 2.2, R² 0.6', () => {
    const fit = linearFit([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(fit.slope).toBeCloseTo(0.6, 12);
    expect(fit.intercept).toBeCloseTo(2.2, 12);
    expect(fit.rSquared).toBeCloseTo(0.6, 12);
    // s^2 = SSE / (n - 2) = 2.4 / 3; at the mean x the half-width is t(0.975, 3) s sqrt(1/5).
    expect(fit.at(3).fitted).toBeCloseTo(4, 12);
    expect(fit.at(3).halfWidth).toBeCloseTo(3.182446 * Math.sqrt(0.8) * Math.sqrt(0.2), 5);
    // Further from the mean the band widens: sqrt(1/5 + (x - 3)^2 / 10).
    expect(fit.at(5).halfWidth).toBeCloseTo(3.182446 * Math.sqrt(0.8) * Math.sqrt(0.2 + 4 / 10), 5);
  });

  it('an exact line has R² 1 and no band', () => {
    const fit = linearFit([0, 1, 2, 3], [2, 5, 8, 11]);
    expect([fit.slope, fit.intercept, fit.rSquared]).toEqual([3, 2, 1]);
    expect(fit.at(10).halfWidth).toBe(0);
  });

  it("Student's t quantiles match the tables", () => {
    const tables: [number, number][] = [
      [1, 12.7062],
      [2, 4.3027],
      [3, 3.1824],
      [4, 2.7764],
      [6, 2.4469],
      [10, 2.2281],
      [34, 2.0322],
      [120, 1.9799],
    ];
    for (const [df, value] of tables) expect(studentT975(df), `df ${df}`).toBeCloseTo(value, 3);
  });

  it('refuses what it cannot fit', () => {
    expect(() => linearFit([1, 2], [1, 2])).toThrow(/at least 3/);
    expect(() => linearFit([1, 1, 1], [1, 2, 3])).toThrow(/every x is the same/);
  });
});
