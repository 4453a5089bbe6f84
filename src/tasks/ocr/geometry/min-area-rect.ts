export type Point = [number, number];
export type Quad = [Point, Point, Point, Point];

/** Andrew's monotone chain; counter-clockwise in y-down coordinates, no collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

export interface MinAreaRect {
  /** Corners of the rectangle (float32-rounded, as cv2.boxPoints gives them). */
  corners: Quad;
  width: number;
  height: number;
}

/**
 * cv2.minAreaRect + cv2.boxPoints: the smallest rectangle holding the points, one side on a hull
 * edge (rotating calipers, here by projection over each edge: hulls of text blobs are small).
 */
export function minAreaRect(points: readonly Point[]): MinAreaRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { corners: [[0, 0], [0, 0], [0, 0], [0, 0]], width: 0, height: 0 };
  if (hull.length === 1) {
    const p = hull[0]!;
    return { corners: [p, p, p, p], width: 0, height: 0 };
  }
  let best: { area: number; ux: number; uy: number; u0: number; u1: number; v0: number; v1: number } | undefined;
  const n = hull.length;
  for (let i = 0; i < n; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % n]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let u0 = Infinity;
    let u1 = -Infinity;
    let v0 = Infinity;
    let v1 = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < u0) u0 = u;
      if (u > u1) u1 = u;
      if (v < v0) v0 = v;
      if (v > v1) v1 = v;
    }
    const area = (u1 - u0) * (v1 - v0);
    if (!best || area < best.area - 1e-9) best = { area, ux, uy, u0, u1, v0, v1 };
  }
  const { ux, uy, u0, u1, v0, v1 } = best!;
  const at = (u: number, v: number): Point => [Math.fround(u * ux - v * uy), Math.fround(u * uy + v * ux)];
  return { corners: [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)], width: u1 - u0, height: v1 - v0 };
}

/**
 * DBPostProcess.get_mini_boxes: the min-area rectangle's corners ordered top-left, top-right,
 * bottom-right, bottom-left (by x, then y within each side), and its shorter side.
 */
export function miniBox(points: readonly Point[]): { box: Quad; shortSide: number } {
  const rect = minAreaRect(points);
  const p = [...rect.corners].sort((a, b) => a[0] - b[0]);
  const [i1, i4] = p[1]![1] > p[0]![1] ? [0, 1] : [1, 0];
  const [i2, i3] = p[3]![1] > p[2]![1] ? [2, 3] : [3, 2];
  return { box: [p[i1]!, p[i2]!, p[i3]!, p[i4]!], shortSide: Math.min(rect.width, rect.height) };
}
