import ClipperLib from 'clipper-lib';
import type { Point } from './min-area-rect.js';

/** Shoelace area and perimeter, as shapely's Polygon.area / .length give them. */
export function areaAndPerimeter(poly: readonly Point[]): { area: number; perimeter: number } {
  let twice = 0;
  let perimeter = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    twice += a[0] * b[1] - b[0] * a[1];
    perimeter += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  return { area: Math.abs(twice) / 2, perimeter };
}

/**
 * DB's unclip: grow the shrunk text kernel back by area × ratio / perimeter with a round-joined
 * Clipper offset (pyclipper defaults: miter limit 2, arc tolerance 0.25). pyclipper truncates
 * float coordinates to integers on the way in; so does this.
 */
export function unclip(box: readonly Point[], ratio: number): Point[] {
  const { area, perimeter } = areaAndPerimeter(box);
  if (perimeter === 0) return [];
  const distance = (area * ratio) / perimeter;
  const offset = new ClipperLib.ClipperOffset(2, 0.25);
  offset.AddPath(
    box.map(([x, y]) => ({ X: Math.trunc(x), Y: Math.trunc(y) })),
    ClipperLib.JoinType.jtRound,
    ClipperLib.EndType.etClosedPolygon,
  );
  const solution: Array<Array<{ X: number; Y: number }>> = [];
  offset.Execute(solution, distance);
  return solution.flat().map((p) => [p.X, p.Y]);
}
