/**
 * Colour spaces, as plain functions of one pixel (values on [0, 1]) and over planar (NCHW)
 * image batches. Every conversion has its exact inverse beside it; the tests check the round
 * trips over a grid of 8-bit colours and the published values of pure colours.
 * @module
 */
/** One pixel's three channels. */
export type Triple = [number, number, number];
/** A conversion of one pixel from one colour space to another. */
export type PixelConversion = (a: number, b: number, c: number) => Triple;

/**
 * BT.601 full range, as JPEG (JFIF) defines it: Cb and Cr carry a 0.5 offset, so all three lie
 * on [0, 1] for any colour on [0, 1].
 */
export function rgbToYcbcr(r: number, g: number, b: number): Triple {
  return [
    0.299 * r + 0.587 * g + 0.114 * b,
    0.5 - 0.168736 * r - 0.331264 * g + 0.5 * b,
    0.5 + 0.5 * r - 0.418688 * g - 0.081312 * b,
  ];
}

/** The exact inverse of rgbToYcbcr. */
export function ycbcrToRgb(y: number, cb: number, cr: number): Triple {
  return [y + 1.402 * (cr - 0.5), y - 0.344136 * (cb - 0.5) - 0.714136 * (cr - 0.5), y + 1.772 * (cb - 0.5)];
}

/**
 * The notebook's conversion, as its colourisation cell writes it: 0.144 for blue's share of Y
 * (BT.601 has 0.114, so white has Y = 1.03), Cb and Cr without their minus signs and their
 * 0.5 offset, and an inverse (the offset-free BT.601 one) that does not invert its own forward.
 */
export function notebookRgbToYcbcr(r: number, g: number, b: number): Triple {
  return [
    0.299 * r + 0.587 * g + 0.144 * b,
    0.168736 * r + 0.331264 * g + 0.5 * b,
    0.5 * r + 0.418688 * g + 0.081312 * b,
  ];
}

/** The notebook's inverse: BT.601's without the offset, which does not invert notebookRgbToYcbcr. */
export function notebookYcbcrToRgb(y: number, cb: number, cr: number): Triple {
  return [y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb];
}

// sRGB (IEC 61966-2-1) to CIE L*a*b* with the D65 white: undo the transfer curve, go to XYZ
// through the sRGB primaries, then L*a*b*'s cube-root compression relative to the white.
const SRGB_TO_XYZ = [
  [0.4124564, 0.3575761, 0.1804375],
  [0.2126729, 0.7151522, 0.072175],
  [0.0193339, 0.119192, 0.9503041],
] as const;
/** The inverse of SRGB_TO_XYZ, computed (not rounded from a table) so the round trip is exact. */
const XYZ_TO_SRGB = invert3(SRGB_TO_XYZ);
/** D65 white in XYZ: the primaries' sum, so white maps to L* = 100, a* = b* = 0 exactly. */
const WHITE = SRGB_TO_XYZ.map((row) => row[0] + row[1] + row[2]) as Triple;
const DELTA = 6 / 29;

function invert3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m as number[][] as [
    [number, number, number],
    [number, number, number],
    [number, number, number],
  ];
  const determinant = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / determinant, (c * h - b * i) / determinant, (b * f - c * e) / determinant],
    [(f * g - d * i) / determinant, (a * i - c * g) / determinant, (c * d - a * f) / determinant],
    [(d * h - e * g) / determinant, (b * g - a * h) / determinant, (a * e - b * d) / determinant],
  ];
}

const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const fromLinear = (c: number) =>
  c <= 0.0031308 ? 12.92 * c : 1.055 * Math.sign(c) * Math.abs(c) ** (1 / 2.4) - 0.055;
const compress = (t: number) => (t > DELTA ** 3 ? Math.cbrt(t) : t / (3 * DELTA * DELTA) + 4 / 29);
const expand = (f: number) => (f > DELTA ? f ** 3 : 3 * DELTA * DELTA * (f - 4 / 29));

/** sRGB on [0, 1] to CIE L*a*b* (D65): L* on [0, 100]. */
export function rgbToLab(r: number, g: number, b: number): Triple {
  const linear = [toLinear(r), toLinear(g), toLinear(b)];
  const [fx, fy, fz] = SRGB_TO_XYZ.map((row, i) =>
    compress((row[0] * linear[0]! + row[1] * linear[1]! + row[2] * linear[2]!) / WHITE[i]!),
  ) as Triple;
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** L*a*b* to sRGB; colours outside the sRGB gamut come out beyond [0, 1] (clip them to show them). */
export function labToRgb(l: number, a: number, b: number): Triple {
  const fy = (l + 16) / 116;
  const xyz = [expand(fy + a / 500) * WHITE[0], expand(fy) * WHITE[1], expand(fy - b / 200) * WHITE[2]];
  return XYZ_TO_SRGB.map((row) => fromLinear(row[0]! * xyz[0]! + row[1]! * xyz[1]! + row[2]! * xyz[2]!)) as Triple;
}

/** `value` clipped to [0, 1]. */
export const clip01 = (value: number): number => Math.min(1, Math.max(0, value));
