import { describe, expect, it } from 'vitest';
import { borderPointSets, eulerNumber8 } from '../../../src/tasks/ocr/geometry/components.js';
import { convexHull, minAreaRect, miniBox } from '../../../src/tasks/ocr/geometry/min-area-rect.js';
import { type Raster, padVertical, rotate180, rotate90ccw, roundHalfEven } from '../../../src/tasks/ocr/geometry/raster.js';
import { resizeLinear } from '../../../src/tasks/ocr/geometry/resize.js';
import { unclip } from '../../../src/tasks/ocr/geometry/unclip.js';
import { cropQuad, perspectiveTransform } from '../../../src/tasks/ocr/geometry/warp.js';

const gray = (width: number, height: number, values: number[]): Raster => ({ data: Uint8Array.from(values), width, height, channels: 1 });

describe('roundHalfEven (Python round)', () => {
  it('sends halves to the even neighbour', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, -0, -2, 2, 3]);
  });
});

describe('resizeLinear (cv2 INTER_LINEAR)', () => {
  it('upscales with half-pixel centres and clamped edges, as cv2.resize([[0,255]], (4,1)) does', () => {
    expect([...resizeLinear(gray(2, 1, [0, 255]), 4, 1).data]).toEqual([0, 64, 191, 255]);
  });
  it('an exact 2× shrink averages 2×2 blocks (cv2 switches to INTER_AREA)', () => {
    expect([...resizeLinear(gray(4, 2, [0, 10, 20, 30, 40, 50, 60, 70]), 2, 1).data]).toEqual([25, 45]);
  });
  it('keeps channels interleaved and copies when the size is unchanged', () => {
    const img: Raster = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3 };
    const out = resizeLinear(img, 2, 1);
    expect([...out.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out.data).not.toBe(img.data);
    // 2→1 px: the centre falls halfway between the two pixels.
    expect([...resizeLinear(img, 1, 1).data]).toEqual([3, 4, 5]);
  });
});

describe('raster turns', () => {
  const img = gray(3, 2, [1, 2, 3, 4, 5, 6]);
  it('rotate180 and rotate90ccw (np.rot90)', () => {
    expect([...rotate180(img).data]).toEqual([6, 5, 4, 3, 2, 1]);
    const r = rotate90ccw(img);
    expect([r.width, r.height, ...r.data]).toEqual([2, 3, 3, 6, 2, 5, 1, 4]);
  });
  it('padVertical adds black rows', () => {
    const p = padVertical(img, 1, 2);
    expect(p.height).toBe(5);
    expect([...p.data]).toEqual([0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0]);
  });
});

describe('minAreaRect / miniBox', () => {
  it('an axis-aligned blob gives its bounding box, ordered tl, tr, br, bl', () => {
    const pts: Array<[number, number]> = [];
    for (let y = 2; y <= 5; y++) for (let x = 10; x <= 20; x++) pts.push([x, y]);
    const { box, shortSide } = miniBox(pts);
    expect(box).toEqual([
      [10, 2],
      [20, 2],
      [20, 5],
      [10, 5],
    ]);
    expect(shortSide).toBe(3);
  });
  it('a tilted rectangle is fitted along its edges, not its bounding box', () => {
    const corners: Array<[number, number]> = [
      [0, 10],
      [10, 0],
      [40, 30],
      [30, 40],
    ];
    const r = minAreaRect(corners);
    expect(r.width * r.height).toBeCloseTo(Math.hypot(10, 10) * Math.hypot(30, 30), 3);
    // get_mini_boxes' order for a 45° box: the left pair and the right pair each pick the upper point first.
    const { box } = miniBox(corners);
    expect(box.map(([x, y]) => [Math.round(x) + 0, Math.round(y) + 0])).toEqual([
      [10, 0],
      [40, 30],
      [30, 40],
      [0, 10],
    ]);
  });
  it('degenerate inputs have a zero short side', () => {
    expect(minAreaRect([[3, 3]]).width).toBe(0);
    expect(miniBox([
      [0, 0],
      [5, 0],
    ]).shortSide).toBe(0);
    expect(convexHull([
      [0, 0],
      [1, 1],
      [2, 2],
      [0, 2],
    ])).toHaveLength(3);
  });
});

describe('borderPointSets (the contours findContours(RETR_LIST) would give minAreaRect)', () => {
  it('one set per 8-connected blob, plus one per enclosed hole', () => {
    const w = 12;
    const h = 8;
    const mask = new Uint8Array(w * h);
    const set = (x: number, y: number) => (mask[y * w + x] = 1);
    // A ring with a 2×2 hole at (2..5, 1..4) and a diagonal pair (8-connected) at (8,1),(9,2).
    for (let y = 1; y <= 4; y++) for (let x = 1; x <= 4; x++) if (!(x >= 2 && x <= 3 && y >= 2 && y <= 3)) set(x, y);
    set(8, 1);
    set(9, 2);
    const sets = borderPointSets(mask, w, h);
    expect(sets).toHaveLength(3);
    expect(miniBox(sets[0]!).box).toEqual([
      [1, 1],
      [4, 1],
      [4, 4],
      [1, 4],
    ]);
    expect(sets[1]!.sort()).toEqual([
      [8, 1],
      [9, 2],
    ]);
    // The hole's border: the ring pixels around it.
    const hole = miniBox(sets[2]!);
    expect(hole.shortSide).toBeGreaterThan(0);
    // Euler number: 2 components − 1 hole.
    expect(eulerNumber8(mask, w, h)).toBe(1);
    // Without the hole, no hole set.
    mask[2 * w + 2] = mask[2 * w + 3] = mask[3 * w + 2] = mask[3 * w + 3] = 1;
    expect(eulerNumber8(mask, w, h)).toBe(2);
    expect(borderPointSets(mask, w, h)).toHaveLength(2);
  });
  it('a diamond of diagonal neighbours is one 8-connected blob around a 4-connected hole', () => {
    const diamond = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(eulerNumber8(diamond, 5, 5)).toBe(0);
    const sets = borderPointSets(diamond, 5, 5);
    expect(sets).toHaveLength(2);
    expect(sets[1]!.sort()).toEqual([
      [1, 2],
      [2, 1],
      [2, 3],
      [3, 2],
    ]);
  });
});

describe('unclip (pyclipper offset, round joins)', () => {
  it('matches pyclipper on a 10×5 box grown by area·1.5/perimeter = 2.5', () => {
    // pyclipper.PyclipperOffset().AddPath(box, JT_ROUND, ET_CLOSEDPOLYGON).Execute(2.5)
    const expected = [
      [12, -2],
      [13, 0],
      [13, 5],
      [12, 7],
      [10, 8],
      [0, 8],
      [-2, 7],
      [-3, 5],
      [-3, 0],
      [-2, -2],
      [0, -3],
      [10, -3],
    ];
    expect(
      unclip(
        [
          [0, 0],
          [10, 0],
          [10, 5],
          [0, 5],
        ],
        1.5,
      ),
    ).toEqual(expected);
  });
});

describe('perspective crop', () => {
  it('the homography maps the four points', () => {
    const from: Array<[number, number]> = [
      [0, 0],
      [4, 0],
      [4, 2],
      [0, 2],
    ];
    const to: Array<[number, number]> = [
      [10, 10],
      [30, 12],
      [28, 25],
      [9, 20],
    ];
    const m = perspectiveTransform(from, to);
    from.forEach(([x, y], i) => {
      const w = m[6]! * x + m[7]! * y + m[8]!;
      expect((m[0]! * x + m[1]! * y + m[2]!) / w).toBeCloseTo(to[i]![0], 9);
      expect((m[3]! * x + m[4]! * y + m[5]!) / w).toBeCloseTo(to[i]![1], 9);
    });
  });
  it('an axis-aligned integer quad crops the pixels exactly; a tall one is turned a quarter', () => {
    const w = 8;
    const img = gray(w, 6, Array.from({ length: 48 }, (_, i) => i * 5));
    const crop = cropQuad(img, [
      [2, 1],
      [6, 1],
      [6, 3],
      [2, 3],
    ]);
    expect([crop.width, crop.height]).toEqual([4, 2]);
    expect([...crop.data]).toEqual([10, 11, 12, 13, 18, 19, 20, 21].map((i) => i * 5));
    const tall = cropQuad(img, [
      [1, 0],
      [3, 0],
      [3, 5],
      [1, 5],
    ]);
    expect([tall.width, tall.height]).toEqual([5, 2]);
  });
});
