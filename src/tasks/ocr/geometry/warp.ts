import type { Point, Quad } from './min-area-rect.js';
import { type Raster, rotate90ccw } from './raster.js';

/**
 * The homography taking the four `from` points to the four `to` points (cv2.getPerspectiveTransform),
 * as a row-major 3×3 with h[8] = 1. Gaussian elimination with partial pivoting in float64.
 */
export function perspectiveTransform(from: readonly Point[], to: readonly Point[]): number[] {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    a.push([x, y, 1, 0, 0, 0, -x * u, -y * u, u]);
    a.push([0, 0, 0, x, y, 1, -x * v, -y * v, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    if (Math.abs(p) < 1e-12) throw new Error('degenerate quadrilateral');
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / p;
      if (f === 0) continue;
      for (let k = col; k < 9; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return [...a.map((row, i) => row[8]! / row[i]!), 1];
}

const TAB = 32;

function cubic(t: number): [number, number, number, number] {
  // OpenCV's interpolateCubic, A = -0.75.
  const A = -0.75;
  const c0 = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
  const c1 = ((A + 2) * t - (A + 3)) * t * t + 1;
  const c2 = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
  return [c0, c1, c2, 1 - c0 - c1 - c2];
}
const COEFS = Array.from({ length: TAB }, (_, i) => cubic(i / TAB));

/**
 * RapidOCR's get_rotate_crop_image: the quad (tl, tr, br, bl) warped upright to its longer side
 * lengths with cv2.warpPerspective(INTER_CUBIC, BORDER_REPLICATE) — source coordinates snapped
 * to 1/32 px as OpenCV's remap tables do — and turned a quarter counter-clockwise when it is at
 * least 1.5× taller than wide (vertical text).
 */
export function cropQuad(img: Raster, quad: Quad): Raster {
  const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  const w = Math.trunc(Math.max(dist(quad[0], quad[1]), dist(quad[2], quad[3])));
  const h = Math.trunc(Math.max(dist(quad[0], quad[3]), dist(quad[1], quad[2])));
  if (w <= 0 || h <= 0) return { data: new Uint8Array(0), width: 0, height: 0, channels: img.channels };
  // Destination → source: the mapping warpPerspective applies per output pixel.
  const m = perspectiveTransform(
    [
      [0, 0],
      [w, 0],
      [w, h],
      [0, h],
    ],
    quad,
  );
  const { width: sw, height: sh, channels: c, data } = img;
  const out = new Uint8Array(w * h * c);
  const acc = new Float64Array(c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const W = m[6]! * x + m[7]! * y + m[8]!;
      const inv = W ? TAB / W : 0;
      const X = Math.round((m[0]! * x + m[1]! * y + m[2]!) * inv);
      const Y = Math.round((m[3]! * x + m[4]! * y + m[5]!) * inv);
      const x0 = Math.floor(X / TAB) - 1;
      const y0 = Math.floor(Y / TAB) - 1;
      const cx = COEFS[X - Math.floor(X / TAB) * TAB]!;
      const cy = COEFS[Y - Math.floor(Y / TAB) * TAB]!;
      acc.fill(0);
      for (let j = 0; j < 4; j++) {
        const yy = Math.min(Math.max(y0 + j, 0), sh - 1);
        for (let i = 0; i < 4; i++) {
          const xx = Math.min(Math.max(x0 + i, 0), sw - 1);
          const wgt = cy[j]! * cx[i]!;
          const p = (yy * sw + xx) * c;
          for (let k = 0; k < c; k++) acc[k]! += wgt * data[p + k]!;
        }
      }
      const o = (y * w + x) * c;
      for (let k = 0; k < c; k++) {
        const v = Math.round(acc[k]!);
        out[o + k] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  const crop = { data: out, width: w, height: h, channels: c };
  return h / w >= 1.5 ? rotate90ccw(crop) : crop;
}
