// Least-squares regression with a 95% confidence band for the fitted mean, as seaborn's
// regplot draws it (the notebook plotted test loss against latent size with regplot).
//   y = intercept + slope x;  s^2 = sum of squared residuals / (n - 2);
//   band at x: fitted(x) +- t(0.975, n - 2) s sqrt(1/n + (x - mean x)^2 / Sxx).

export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** The share of y's variance the line explains. */
  readonly rSquared: number;
  readonly count: number;
  /** The fitted mean at x and the half-width of its 95% confidence interval. */
  readonly at: (x: number) => { readonly fitted: number; readonly halfWidth: number };
}

export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  const n = xs.length;
  if (n < 3 || ys.length !== n)
    throw new Error(`linearFit: needs at least 3 paired points, got ${n} x and ${ys.length} y`);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - meanX) ** 2;
    sxy += (xs[i]! - meanX) * (ys[i]! - meanY);
    syy += (ys[i]! - meanY) ** 2;
  }
  if (sxx === 0) throw new Error('linearFit: every x is the same: there is no line to fit');
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  const residual = Math.max(0, syy - slope * sxy);
  const s = Math.sqrt(residual / (n - 2));
  const t = studentT975(n - 2);
  return {
    slope,
    intercept,
    rSquared: syy === 0 ? 1 : 1 - residual / syy,
    count: n,
    at: (x) => ({ fitted: intercept + slope * x, halfWidth: t * s * Math.sqrt(1 / n + (x - meanX) ** 2 / sxx) }),
  };
}

/**
 * The 97.5% quantile of Student's t with `df` degrees of freedom: exact for 1 and 2, the
 * tables' values for 3 to 5, else the Cornish-Fisher expansion around the normal quantile
 * (within 3e-4 of the tables from df 6).
 */
export function studentT975(df: number): number {
  if (!Number.isInteger(df) || df < 1)
    throw new Error(`studentT975: degrees of freedom must be a whole number >= 1, got ${df}`);
  if (df === 1) return Math.tan(Math.PI * 0.475);
  if (df === 2) return 0.95 / Math.sqrt(2 * 0.975 * 0.025);
  if (df <= 5) return [3.182446, 2.776445, 2.570582][df - 3]!;
  const z = 1.959963984540054;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4)
  );
}
