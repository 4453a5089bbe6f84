/**
 * The point sets cv2.findContours(RETR_LIST, CHAIN_APPROX_SIMPLE) would hand DB post-processing,
 * reduced to what it uses them for: each contour only feeds minAreaRect, which depends on the
 * convex hull alone, so a contour can be replaced by any point set with the same hull. For an
 * outer border that is the row extremes of an 8-connected foreground component; for a hole
 * border (RETR_LIST returns those too) the foreground pixels 4-adjacent to a 4-connected
 * background component that does not touch the image edge. Point sets come out in raster order
 * of their first pixel, outer borders before hole borders.
 */
export function borderPointSets(mask: Uint8Array, width: number, height: number): Array<Array<[number, number]>> {
  const outer = outerBorders(mask, width, height);
  // Holes are rare in DB maps: the Euler number says whether any exist before the background is flooded.
  if (outer.length - eulerNumber8(mask, width, height) === 0) return outer;
  return [...outer, ...holeBorders(mask, width, height)];
}

/**
 * Euler number (components − holes) of the 8-connected foreground, by Gray's bit-quad counts
 * over every 2×2 window of the zero-padded image: (Q1 − Q3 − 2·QD) / 4.
 */
export function eulerNumber8(mask: Uint8Array, width: number, height: number): number {
  let q1 = 0;
  let q3 = 0;
  let qd = 0;
  const at = (x: number, y: number) => (x >= 0 && y >= 0 && x < width && y < height ? mask[y * width + x]! : 0);
  for (let y = -1; y < height; y++) {
    const inner = y >= 0 && y < height - 1;
    for (let x = -1; x < width; x++) {
      let a: number;
      let b: number;
      let c: number;
      let d: number;
      if (inner && x >= 0 && x < width - 1) {
        const i = y * width + x;
        a = mask[i]!;
        b = mask[i + 1]!;
        c = mask[i + width]!;
        d = mask[i + width + 1]!;
      } else {
        a = at(x, y);
        b = at(x + 1, y);
        c = at(x, y + 1);
        d = at(x + 1, y + 1);
      }
      const n = a + b + c + d;
      if (n === 1) q1++;
      else if (n === 3) q3++;
      else if (n === 2 && a === d) qd++;
    }
  }
  return (q1 - q3 - 2 * qd) / 4;
}

/**
 * 8-connected foreground components by run-length union-find (a run joins every run of the row
 * above that overlaps it or touches it diagonally); each component's points are its runs' ends.
 */
function outerBorders(mask: Uint8Array, width: number, height: number): Array<Array<[number, number]>> {
  const starts: number[] = [];
  const ends: number[] = [];
  const rows: number[] = [];
  const parent: number[] = [];
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  let prevFrom = 0;
  let prevTo = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const from = starts.length;
    let p = prevFrom;
    for (let x = 0; x < width; x++) {
      if (!mask[row + x]) continue;
      const s = x;
      while (x + 1 < width && mask[row + x + 1]) x++;
      const id = starts.length;
      starts.push(s);
      ends.push(x);
      rows.push(y);
      parent.push(id);
      // Runs above that end before this one's reach are done with for every later run of this row.
      while (p < prevTo && ends[p]! < s - 1) p++;
      for (let q = p; q < prevTo && starts[q]! <= x + 1; q++) {
        const a = find(q);
        const b = find(id);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
    prevFrom = from;
    prevTo = starts.length;
  }
  const index = new Map<number, number>();
  const sets: Array<Array<[number, number]>> = [];
  for (let i = 0; i < starts.length; i++) {
    const root = find(i);
    let k = index.get(root);
    if (k === undefined) {
      k = sets.length;
      index.set(root, k);
      sets.push([]);
    }
    const set = sets[k]!;
    set.push([starts[i]!, rows[i]!]);
    if (ends[i] !== starts[i]) set.push([ends[i]!, rows[i]!]);
  }
  return sets;
}

/** Background reachable from the image edge (4-connected) is outside; what is left are holes. */
function holeBorders(mask: Uint8Array, width: number, height: number): Array<Array<[number, number]>> {
  const n = width * height;
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  let top = 0;
  const push = (q: number) => {
    if (!mask[q] && !seen[q]) {
      seen[q] = 1;
      stack[top++] = q;
    }
  };
  for (let x = 0; x < width; x++) {
    push(x);
    push((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    push(y * width);
    push(y * width + width - 1);
  }
  const fill = (onBorder?: (q: number) => void) => {
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % width;
      for (let k = 0; k < 4; k++) {
        const q = k === 0 ? (x > 0 ? p - 1 : -1) : k === 1 ? (x < width - 1 ? p + 1 : -1) : k === 2 ? p - width : p + width < n ? p + width : -1;
        if (q < 0) continue;
        if (mask[q]) onBorder?.(q);
        else if (!seen[q]) {
          seen[q] = 1;
          stack[top++] = q;
        }
      }
    }
  };
  fill();
  const sets: Array<Array<[number, number]>> = [];
  for (let start = 0; start < n; start++) {
    if (mask[start] || seen[start]) continue;
    const border = new Set<number>();
    push(start);
    fill((q) => border.add(q));
    if (border.size > 0) sets.push([...border].sort((a, b) => a - b).map((q) => [q % width, (q / width) | 0]));
  }
  return sets;
}
