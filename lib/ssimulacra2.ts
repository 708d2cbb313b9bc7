/**
 * SSIMULACRA 2.1, the perceptual quality metric (Jon Sneyers, Cloudinary / the JPEG XL project), in plain TypeScript.
 *
 * Scale: 100 for identical images, 90 visually lossless at 1:1, 70 high quality, 50 medium, 30 low, negative for
 * very strong distortion. Written from the metric's public description, with its published constants:
 * - both images in linear sRGB (an image with alpha is blended onto a background first: see `ssimulacra2`);
 * - six scales (1:1 to 1:32), each made by averaging 2x2 blocks of the previous one in linear RGB;
 * - per scale, both images in the XYB colour space, rescaled to about 0..1 with B replaced by B-Y;
 * - per scale and channel, three error maps: SSIM without its luminance denominator, "artifacts" (the distorted
 *   image has edges where the reference is smooth) and "detail loss" (the reverse), each pooled by its 1-norm and
 *   4-norm: 6 x 3 x 3 x 2 = 108 numbers;
 * - their weighted sum, mapped through a fixed polynomial and power onto the 0-100 scale.
 * Local means and variances use a Gaussian of sigma 1.5 implemented, as the reference does, by the recursive filter
 * of Charalampidis (2016) with zero padding outside the image, so scores match the reference tool (checked against
 * 90 pairs scored by it: `__tests__/lib/ssimulacra2.test.ts`, numbers in docs/benchmarks.md).
 *
 * Pure computation on interleaved 8-bit sRGB buffers, so the Lambda function, the tests, the benchmark and
 * `npm run quality` share it. `ssimulacra2Reference` does the reference image's half of the work once, for scoring
 * many candidate encodings of one rendition.
 */

/** An 8-bit sRGB image, channels interleaved (RGB or RGBA, alpha not premultiplied). */
export interface Image8 {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

const SCALES = 6;
const C2 = Math.fround(0.0009);
const f32 = Math.fround;
// Module-level names for what the pixel loops call: a global lookup inside a vm context (jest's sandbox) is several
// times slower than a module binding.
const { abs, max, min, pow } = Math;
/** The reference tool scores an image with alpha on a dark and on a light background and keeps the worse score. */
const ALPHA_BACKGROUNDS = [0.1, 0.9] as const;

// The XYB opsin absorbance matrix and bias of JPEG XL.
const M00 = 0.3, M01 = 0.622, M02 = 0.078;
const M10 = 0.23, M11 = 0.692, M12 = 0.078;
const M20 = 0.24342268924547819, M21 = 0.20476744424496821, M22 = 1 - M20 - M21;
const BIAS = 0.0037930732552754493;
const CBRT_BIAS = Math.cbrt(BIAS);

/** Weights of the 108 pooled errors, in the order channel (X, Y, B), scale, norm (1, 4), map (SSIM, artifact, detail loss). */
const WEIGHTS: readonly number[] = [
  0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0, 0.0, 0.0004371155730107379, 0.0,
  1.1041726426657346, 0.00066284834129271, 0.00015231632783718752, 0.0, 0.0016406437456599754, 0.0,
  1.8422455520539298, 11.441172603757666, 0.0, 0.0007989109436015163, 0.000176816438078653, 0.0,
  1.8787594979546387, 10.94906990605142, 0.0, 0.0007289346991508072, 0.9677937080626833, 0.0,
  0.00014003424285435884, 0.9981766977854967, 0.00031949755934435053, 0.0004550992113792063, 0.0, 0.0,
  0.0013648766163243398, 0.0, 0.0, 0.0, 0.0, 0.0, 7.466890328078848, 0.0, 17.445833984131262,
  0.0006235601634041466, 0.0, 0.0, 6.683678146179332, 0.00037724407979611296, 1.027889937768264,
  225.20515300849274, 0.0, 0.0, 19.213238186143016, 0.0011401524586618361, 0.001237755635509985,
  176.39317598450694, 0.0, 0.0, 24.43300999870476, 0.28520802612117757, 0.0004485436923833408, 0.0, 0.0, 0.0,
  34.77906344483772, 44.835625328877896, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0008680556573291698, 0.0, 0.0,
  0.0, 0.0, 0.0, 0.0005313191874358747, 0.0, 0.00016533814161379112, 0.0, 0.0, 0.0, 0.0, 0.0,
  0.0004179171803251336, 0.0017290828234722833, 0.0, 0.0020827005846636437, 0.0, 0.0, 8.826982764996862,
  23.19243343998926, 0.0, 95.1080498811086, 0.9863978034400682, 0.9834382792465353, 0.0012286405048278493,
  171.2667255897307, 0.9807858872435379, 0.0, 0.0, 0.0, 0.0005130064588990679, 0.0, 0.00010854057858411537,
];

type Planes = [Float32Array, Float32Array, Float32Array];

interface Plane3 {
  readonly width: number;
  readonly height: number;
  readonly planes: Planes;
}

const SRGB_TO_LINEAR = (() => {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) table[i] = srgbToLinear(i / 255);
  return table;
})();

function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

function newPlanes(size: number): Planes {
  return [new Float32Array(size), new Float32Array(size), new Float32Array(size)];
}

/** Linear-light RGB planes; an image with alpha is blended onto `background` (0..1, in sRGB terms) first. */
function linearRgb(image: Image8, background: number): Plane3 {
  const { data, width, height, channels } = image;
  const size = width * height;
  const planes = newPlanes(size);
  const [r, g, b] = planes;
  if (channels === 3) {
    for (let i = 0, j = 0; i < size; i++, j += 3) {
      r[i] = SRGB_TO_LINEAR[data[j]];
      g[i] = SRGB_TO_LINEAR[data[j + 1]];
      b[i] = SRGB_TO_LINEAR[data[j + 2]];
    }
  } else {
    for (let i = 0, j = 0; i < size; i++, j += 4) {
      const a = data[j + 3] / 255;
      const rest = (1 - a) * background;
      r[i] = a === 1 ? SRGB_TO_LINEAR[data[j]] : srgbToLinear(f32(a * (data[j] / 255) + rest));
      g[i] = a === 1 ? SRGB_TO_LINEAR[data[j + 1]] : srgbToLinear(f32(a * (data[j + 1] / 255) + rest));
      b[i] = a === 1 ? SRGB_TO_LINEAR[data[j + 2]] : srgbToLinear(f32(a * (data[j + 2] / 255) + rest));
    }
  }
  return { width, height, planes };
}

/** Half the size in each direction, each pixel the mean of a 2x2 block (edge pixels repeated for odd sizes). */
function downsample(input: Plane3): Plane3 {
  const { width, height } = input;
  const outWidth = (width + 1) >> 1;
  const outHeight = (height + 1) >> 1;
  const planes = newPlanes(outWidth * outHeight);
  for (let c = 0; c < 3; c++) {
    const src = input.planes[c];
    const dst = planes[c];
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = 2 * oy * width;
      const y1 = min(2 * oy + 1, height - 1) * width;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = 2 * ox;
        const x1 = min(x0 + 1, width - 1);
        dst[oy * outWidth + ox] = (src[y0 + x0] + src[y0 + x1] + src[y1 + x0] + src[y1 + x1]) * 0.25;
      }
    }
  }
  return { width: outWidth, height: outHeight, planes };
}

/**
 * Cube roots of the opsin mixtures (BIAS to ~1 + BIAS): a table of 4096 steps, linear interpolation, one Newton step.
 * Within 1.4e-8 relative of Math.cbrt (below single precision's 6e-8), and about 3x faster (the 3 cube roots per pixel
 * were a quarter of a candidate's scoring time).
 */
const CBRT_STEPS = 4096;
/** Below this (never, for colours in range: the mixtures start at BIAS) the table is too coarse near zero. */
const CBRT_BIAS_MIN = BIAS / 2;
const CBRT_TABLE = (() => {
  const table = new Float64Array(CBRT_STEPS + 3);
  for (let i = 0; i < table.length; i++) table[i] = Math.cbrt(i / CBRT_STEPS);
  return table;
})();

function cbrt(x: number): number {
  if (!(x >= CBRT_BIAS_MIN && x < 1 + 2 / CBRT_STEPS)) return Math.cbrt(x);
  const at = x * CBRT_STEPS;
  const i = at | 0;
  const y = CBRT_TABLE[i] + (CBRT_TABLE[i + 1] - CBRT_TABLE[i]) * (at - i);
  return y - (y * y * y - x) / (3 * y * y);
}

/** XYB, rescaled as the metric does: X * 14 + 0.42, Y + 0.01, (B - Y) + 0.55, so every channel sits in about 0..1. */
function positiveXyb(linear: Plane3): Plane3 {
  const size = linear.width * linear.height;
  const planes = newPlanes(size);
  const [r, g, b] = linear.planes;
  const [x, y, z] = planes;
  for (let i = 0; i < size; i++) {
    const l = cbrt(max(0, M00 * r[i] + M01 * g[i] + M02 * b[i] + BIAS)) - CBRT_BIAS;
    const m = cbrt(max(0, M10 * r[i] + M11 * g[i] + M12 * b[i] + BIAS)) - CBRT_BIAS;
    const s = cbrt(max(0, M20 * r[i] + M21 * g[i] + M22 * b[i] + BIAS)) - CBRT_BIAS;
    const luma = 0.5 * (l + m);
    x[i] = 0.5 * (l - m) * 14 + 0.42;
    y[i] = luma + 0.01;
    z[i] = s - luma + 0.55;
  }
  return { width: linear.width, height: linear.height, planes };
}

/**
 * The recursive Gaussian (sigma 1.5): three second-order filters, one per cosine term, whose outputs add up.
 * Each output n takes the inputs at n - N - 1 and n + N - 1 (zero outside the image).
 */
const GAUSS = (() => {
  const sigma = 1.5;
  const radius = Math.round(3.2795 * sigma + 0.2546);
  const omega = [1, 3, 5].map((k) => (k * Math.PI) / (2 * radius));
  const p = [1 / Math.tan(0.5 * omega[0]), -1 / Math.tan(0.5 * omega[1]), 1 / Math.tan(0.5 * omega[2])];
  const r = [p[0] * p[0] / Math.sin(omega[0]), -p[1] * p[1] / Math.sin(omega[1]), p[2] * p[2] / Math.sin(omega[2])];
  const rho = omega.map((w) => Math.exp(-0.5 * sigma * sigma * w * w) / radius);
  const d13 = p[0] * r[1] - r[0] * p[1];
  const d35 = p[1] * r[2] - r[1] * p[2];
  const d51 = p[2] * r[0] - r[2] * p[0];
  const zeta15 = d35 / d13;
  const zeta35 = d51 / d13;
  const beta = solve3([[p[0], p[1], p[2]], [r[0], r[1], r[2]], [zeta15, zeta35, 1]],
    [1, radius * radius - sigma * sigma, zeta15 * rho[0] + zeta35 * rho[1] + rho[2]]);
  const n2 = omega.map((w, i) => -beta[i] * Math.cos(w * (radius + 1)));
  const d1 = omega.map((w) => -2 * Math.cos(w));
  // Per filter, the weights of the input sums and of the two previous outputs for four consecutive outputs at
  // once (the recurrence expanded), as the reference's horizontal pass computes them.
  const lanes = (values: (i: number) => number[]) => [0, 1, 2].map((i) => Float32Array.from(values(i)));
  return {
    radius,
    n2: Float32Array.from(n2),
    d1: Float32Array.from(d1),
    mulIn: lanes((i) => {
      const d2 = d1[i] * d1[i];
      return [n2[i], -d1[i] * n2[i], d2 * n2[i] - n2[i], -d2 * d1[i] * n2[i] + 2 * d1[i] * n2[i]];
    }),
    mulPrev: lanes((i) => {
      const d2 = d1[i] * d1[i];
      return [-d1[i], d2 - 1, -d2 * d1[i] + 2 * d1[i], d2 * d2 - 3 * d2 + 1];
    }),
    mulPrev2: lanes((i) => {
      const d2 = d1[i] * d1[i];
      return [-1, d1[i], -d2 + 1, d2 * d1[i] - 2 * d1[i]];
    }),
  };
})();

/** a * b + c rounded once to single precision, like a fused multiply-add (a * b is exact in double for floats). */
const fma = (a: number, b: number, c: number) => f32(a * b + c);


/** x such that a x = b, by Cramer's rule (a is well conditioned here). */
function solve3(a: number[][], b: number[]): number[] {
  const det = (m: number[][]) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
    - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
    + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const d = det(a);
  return [0, 1, 2].map((col) => det(a.map((row, i) => row.map((value, j) => (j === col ? b[i] : value)))) / d);
}

/**
 * Blurs one plane into `out`, through `temp`. The arithmetic is the reference's, in single precision step by step
 * (fused multiply-adds, the horizontal pass four outputs at a time): the filter's poles sit on the unit circle, so
 * its rounding errors add up along a row and show in the score of near-identical images.
 */
class Blur {
  private readonly temp: Float32Array;
  private readonly state: Float32Array[];
  private readonly prev = new Float32Array(3);
  private readonly prev2 = new Float32Array(3);
  /** One row of the vertical pass's input sums, and where the rows above the image's top are written. */
  private readonly sums: Float32Array;
  private readonly discard: Float32Array;

  constructor(capacity: number, maxWidth: number) {
    this.temp = new Float32Array(capacity);
    this.state = Array.from({ length: 6 }, () => new Float32Array(maxWidth));
    this.sums = new Float32Array(maxWidth);
    this.discard = new Float32Array(maxWidth);
  }

  plane(input: Float32Array, width: number, height: number, out: Float32Array): void {
    for (let y = 0; y < height; y++) this.row(input, y * width, width, this.temp);
    this.columns(this.temp, width, height, out);
  }

  /** One output of the horizontal pass, alone (near the row's ends). */
  private single(input: Float32Array, offset: number, width: number, n: number, out: Float32Array): void {
    const { radius: N, mulIn, mulPrev, mulPrev2 } = GAUSS;
    const { prev, prev2 } = this;
    const left = n - N - 1;
    const right = n + N - 1;
    const sum = f32((left >= 0 ? input[offset + left] : 0) + (right < width ? input[offset + right] : 0));
    let o1 = 0, o3 = 0, o5 = 0;
    for (let k = 0; k < 3; k++) {
      let o = f32(sum * mulIn[k][0]);
      o = fma(mulPrev2[k][0], prev2[k], o);
      o = fma(mulPrev[k][0], prev[k], o);
      prev2[k] = prev[k];
      prev[k] = o;
      if (k === 0) o1 = o; else if (k === 1) o3 = o; else o5 = o;
    }
    if (n >= 0) out[offset + n] = f32(o1 + f32(o3 + o5));
  }

  private row(input: Float32Array, offset: number, width: number, out: Float32Array): void {
    const { radius: N, mulIn, mulPrev, mulPrev2 } = GAUSS;
    const { prev, prev2 } = this;
    prev.fill(0);
    prev2.fill(0);
    let n = -N + 1;
    const firstAligned = Math.ceil((N + 1) / 4) * 4;
    for (; n < min(firstAligned, width); n++) this.single(input, offset, width, n, out);
    // Four outputs per step, each filter (1, 3, 5) unrolled: i* weigh the input sums, p* and q* the previous two outputs.
    const [i10, i11, i12, i13] = mulIn[0];
    const [p10, p11, p12, p13] = mulPrev[0];
    const [q10, q11, q12, q13] = mulPrev2[0];
    let P1 = prev[0], Q1 = prev2[0];
    const [i30, i31, i32, i33] = mulIn[1];
    const [p30, p31, p32, p33] = mulPrev[1];
    const [q30, q31, q32, q33] = mulPrev2[1];
    let P3 = prev[1], Q3 = prev2[1];
    const [i50, i51, i52, i53] = mulIn[2];
    const [p50, p51, p52, p53] = mulPrev[2];
    const [q50, q51, q52, q53] = mulPrev2[2];
    let P5 = prev[2], Q5 = prev2[2];
    for (; n < width - N + 1 - 3; n += 4) {
      const base = offset + n;
      const s0 = f32(input[base + 0 - N - 1] + input[base + 0 + N - 1]);
      const s1 = f32(input[base + 1 - N - 1] + input[base + 1 + N - 1]);
      const s2 = f32(input[base + 2 - N - 1] + input[base + 2 + N - 1]);
      const s3 = f32(input[base + 3 - N - 1] + input[base + 3 + N - 1]);
      const a1 = fma(p10, P1, fma(q10, Q1, f32(s0 * i10)));
      const b1 = fma(p11, P1, fma(q11, Q1, fma(i10, s1, f32(s0 * i11))));
      const c1 = fma(p12, P1, fma(q12, Q1, fma(i10, s2, fma(i11, s1, f32(s0 * i12)))));
      const d1 = fma(p13, P1, fma(q13, Q1, fma(i10, s3, fma(i11, s2, fma(i12, s1, f32(s0 * i13))))));
      Q1 = c1;
      P1 = d1;
      const a3 = fma(p30, P3, fma(q30, Q3, f32(s0 * i30)));
      const b3 = fma(p31, P3, fma(q31, Q3, fma(i30, s1, f32(s0 * i31))));
      const c3 = fma(p32, P3, fma(q32, Q3, fma(i30, s2, fma(i31, s1, f32(s0 * i32)))));
      const d3 = fma(p33, P3, fma(q33, Q3, fma(i30, s3, fma(i31, s2, fma(i32, s1, f32(s0 * i33))))));
      Q3 = c3;
      P3 = d3;
      const a5 = fma(p50, P5, fma(q50, Q5, f32(s0 * i50)));
      const b5 = fma(p51, P5, fma(q51, Q5, fma(i50, s1, f32(s0 * i51))));
      const c5 = fma(p52, P5, fma(q52, Q5, fma(i50, s2, fma(i51, s1, f32(s0 * i52)))));
      const d5 = fma(p53, P5, fma(q53, Q5, fma(i50, s3, fma(i51, s2, fma(i52, s1, f32(s0 * i53))))));
      Q5 = c5;
      P5 = d5;
      out[base + 0] = f32(a1 + f32(a3 + a5));
      out[base + 1] = f32(b1 + f32(b3 + b5));
      out[base + 2] = f32(c1 + f32(c3 + c5));
      out[base + 3] = f32(d1 + f32(d3 + d5));
    }
    prev[0] = P1; prev[1] = P3; prev[2] = P5;
    prev2[0] = Q1; prev2[1] = Q3; prev2[2] = Q5;
    for (; n < width; n++) this.single(input, offset, width, n, out);
  }

  /** The vertical pass: every column at once, row by row, so memory is read in order. */
  private columns(input: Float32Array, width: number, height: number, out: Float32Array): void {
    const N = GAUSS.radius;
    for (const state of this.state) state.fill(0, 0, width);
    for (let n = -N + 1; n < height; n++) {
      const top = n - N - 1;
      const bottom = n + N - 1;
      // Rows outside the image are zero: near the top only the lower row adds in, near the bottom only the upper.
      this.columnStep(input, top >= 0 ? top * width : -1, bottom < height ? bottom * width : -1, width, n >= 0 ? out : undefined, n * width);
    }
  }

  private columnStep(input: Float32Array, topRow: number, bottomRow: number, width: number, out: Float32Array | undefined, outRow: number): void {
    const { n2, d1 } = GAUSS;
    const n21 = n2[0], n23 = n2[1], n25 = n2[2];
    const d11 = d1[0], d13 = d1[1], d15 = d1[2];
    const [a1, a3, a5, b1, b3, b5] = this.state;
    // The input sums first (zero outside the image), so the filter loop below has no branch.
    const sums = this.sums;
    if (topRow >= 0 && bottomRow >= 0) for (let x = 0; x < width; x++) sums[x] = input[topRow + x] + input[bottomRow + x];
    else if (topRow >= 0) for (let x = 0; x < width; x++) sums[x] = input[topRow + x];
    else if (bottomRow >= 0) for (let x = 0; x < width; x++) sums[x] = input[bottomRow + x];
    else sums.fill(0, 0, width);
    const target = out ?? this.discard;
    const row = out === undefined ? 0 : outRow;
    for (let x = 0; x < width; x++) {
      const sum = sums[x];
      const y1 = a1[x], y3 = a3[x], y5 = a5[x];
      const o1 = fma(n21, sum, f32(-d11 * y1 - b1[x]));
      const o3 = fma(n23, sum, f32(-d13 * y3 - b3[x]));
      const o5 = fma(n25, sum, f32(-d15 * y5 - b5[x]));
      b1[x] = y1; b3[x] = y3; b5[x] = y5;
      a1[x] = o1; a3[x] = o3; a5[x] = o5;
      target[row + x] = f32(o1 + f32(o3 + o5));
    }
  }
}

/** One scale of the reference: its XYB planes, their local means and local mean squares. */
interface ReferenceScale {
  readonly xyb: Plane3;
  readonly mu: Planes;
  readonly sigmaSq: Planes;
}

function multiply(a: Float32Array, b: Float32Array, out: Float32Array, size: number): Float32Array {
  for (let i = 0; i < size; i++) out[i] = a[i] * b[i];
  return out;
}

/** The reference's side of every scale, from its linear RGB planes. */
function referenceScales(linear: Plane3, blur: Blur): ReferenceScale[] {
  const scales: ReferenceScale[] = [];
  let current = linear;
  for (let scale = 0; scale < SCALES; scale++) {
    // As the reference does: a scale is computed when the previous one was at least 8 x 8.
    if (current.width < 8 || current.height < 8) break;
    if (scale > 0) current = downsample(current);
    const xyb = positiveXyb(current);
    const size = xyb.width * xyb.height;
    const mu = newPlanes(size);
    const sigmaSq = newPlanes(size);
    const product = new Float32Array(size);
    for (let c = 0; c < 3; c++) {
      blur.plane(xyb.planes[c], xyb.width, xyb.height, mu[c]);
      blur.plane(multiply(xyb.planes[c], xyb.planes[c], product, size), xyb.width, xyb.height, sigmaSq[c]);
    }
    scales.push({ xyb, mu, sigmaSq });
  }
  return scales;
}

/** The weighted sum of the 108 pooled errors, mapped onto the 0-100 scale. */
function finalScore(pooled: readonly number[][]): number {
  // pooled[scale] holds, per channel, [ssim 1-norm, ssim 4-norm, artifact 1, artifact 4, detail 1, detail 4].
  let sum = 0;
  let i = 0;
  for (let c = 0; c < 3; c++) {
    for (let scale = 0; scale < pooled.length; scale++) {
      const p = pooled[scale];
      for (let norm = 0; norm < 2; norm++) {
        sum += WEIGHTS[i++] * abs(p[c * 6 + norm]);
        sum += WEIGHTS[i++] * abs(p[c * 6 + 2 + norm]);
        sum += WEIGHTS[i++] * abs(p[c * 6 + 4 + norm]);
      }
    }
  }
  let score = sum * 0.9562382616834844;
  score = 2.326765642916932 * score - 0.020884521182843837 * score * score + 6.248496625763138e-05 * score * score * score;
  return score > 0 ? 100 - 10 * pow(score, 0.6276336467831387) : 100;
}

/** Scores the distorted image's linear planes against the reference's precomputed scales. */
function scoreAgainst(reference: readonly ReferenceScale[], linear: Plane3, blur: Blur): number {
  const pooled: number[][] = [];
  let current = linear;
  for (let scale = 0; scale < reference.length; scale++) {
    if (scale > 0) current = downsample(current);
    const ref = reference[scale];
    const xyb = positiveXyb(current);
    const { width, height } = xyb;
    const size = width * height;
    const product = new Float32Array(size);
    const mu2 = new Float32Array(size);
    const sigma22 = new Float32Array(size);
    const sigma12 = new Float32Array(size);
    const values: number[] = [];
    for (let c = 0; c < 3; c++) {
      const img1 = ref.xyb.planes[c];
      const img2 = xyb.planes[c];
      const mu1 = ref.mu[c];
      const sigma11 = ref.sigmaSq[c];
      blur.plane(img2, width, height, mu2);
      blur.plane(multiply(img2, img2, product, size), width, height, sigma22);
      blur.plane(multiply(img1, img2, product, size), width, height, sigma12);
      let ssim1 = 0, ssim4 = 0, art1 = 0, art4 = 0, det1 = 0, det4 = 0;
      for (let i = 0; i < size; i++) {
        // In single precision, as the reference computes it: where the local variance is tiny (flat areas), the
        // rounding of sigma - mu * mu is part of the score.
        const m1 = mu1[i];
        const m2 = mu2[i];
        const diff = f32(m1 - m2);
        const numM = f32(1 - f32(diff * diff));
        const numS = f32(2 * f32(sigma12[i] - f32(m1 * m2)) + C2);
        const denS = f32(f32(f32(sigma11[i] - f32(m1 * m1)) + f32(sigma22[i] - f32(m2 * m2))) + C2);
        let d = 1 - f32(f32(numM * numS) / denS);
        if (d < 0) d = 0;
        ssim1 += d;
        const d2 = d * d;
        ssim4 += d2 * d2;
        const edge = (1 + abs(img2[i] - m2)) / (1 + abs(img1[i] - m1)) - 1;
        if (edge > 0) {
          art1 += edge;
          const e2 = edge * edge;
          art4 += e2 * e2;
        } else if (edge < 0) {
          det1 -= edge;
          const e2 = edge * edge;
          det4 += e2 * e2;
        }
      }
      const perPixel = 1 / size;
      values.push(ssim1 * perPixel, Math.sqrt(Math.sqrt(ssim4 * perPixel)), art1 * perPixel,
        Math.sqrt(Math.sqrt(art4 * perPixel)), det1 * perPixel, Math.sqrt(Math.sqrt(det4 * perPixel)));
    }
    pooled.push(values);
  }
  return finalScore(pooled);
}

function checkImage(image: Image8, role: string): void {
  const { data, width, height, channels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`Expected positive integer dimensions for the ${role} image but received ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new Error(`Expected 3 or 4 channels for the ${role} image but received ${channels}`);
  if (data.length !== width * height * channels) {
    throw new Error(`Expected ${width * height * channels} bytes for the ${role} image (${width}x${height}x${channels}) but received ${data.length}`);
  }
}

/**
 * Prepares the reference image once and returns a function that scores a distorted image of the same size against
 * it. Use it to score several encodings of one rendition: the reference's half of the work is not repeated.
 *
 * @example
 *   const score = ssimulacra2Reference(original);
 *   const q70 = score(decodedAtQuality70);
 */
export function ssimulacra2Reference(reference: Image8): (distorted: Image8) => number {
  checkImage(reference, 'reference');
  const { width, height } = reference;
  const blur = new Blur(width * height, width);
  // With alpha, the reference tool scores on a dark and a light background and keeps the worse score.
  const backgrounds: readonly number[] = reference.channels === 4 ? ALPHA_BACKGROUNDS : [ALPHA_BACKGROUNDS[0]];
  const prepared = backgrounds.map((background) => ({ background, scales: referenceScales(linearRgb(reference, background), blur) }));
  return (distorted: Image8) => {
    checkImage(distorted, 'distorted');
    if (distorted.width !== width || distorted.height !== height) {
      throw new Error(`Expected the distorted image to be ${width}x${height} like the reference but received ${distorted.width}x${distorted.height}`);
    }
    const sides = distorted.channels === 4 && prepared.length === 1
      ? ALPHA_BACKGROUNDS.map((background) => ({ background, scales: referenceScales(linearRgb(reference, background), blur) }))
      : prepared;
    return min(...sides.map(({ background, scales }) => scoreAgainst(scales, linearRgb(distorted, background), blur)));
  };
}

/** The SSIMULACRA 2.1 score of `distorted` against `reference` (same size): 100 when identical. */
export function ssimulacra2(reference: Image8, distorted: Image8): number {
  return ssimulacra2Reference(reference)(distorted);
}
