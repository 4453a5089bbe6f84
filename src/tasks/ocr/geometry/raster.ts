/** 8-bit interleaved pixels (OCR works on BGR, as PaddleOCR's models were trained on cv2 images). */
export interface Raster {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Python's round(): halves go to the even neighbour (numpy and PaddleOCR's size arithmetic rely on it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** RGB → BGR (a copy). */
export function rgbToBgr(src: Raster): Raster {
  if (src.channels !== 3) throw new Error(`expected 3 channels, got ${src.channels}`);
  const out = new Uint8Array(src.data.length);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = src.data[i + 2]!;
    out[i + 1] = src.data[i + 1]!;
    out[i + 2] = src.data[i]!;
  }
  return { ...src, data: out };
}

/** cv2.rotate(img, ROTATE_180). */
export function rotate180(src: Raster): Raster {
  const { width, height, channels: c } = src;
  const out = new Uint8Array(src.data.length);
  const n = width * height;
  for (let p = 0; p < n; p++) {
    const q = n - 1 - p;
    for (let k = 0; k < c; k++) out[q * c + k] = src.data[p * c + k]!;
  }
  return { ...src, data: out };
}

/** np.rot90(img): a quarter turn counter-clockwise (out[i][j] = in[j][W-1-i]). */
export function rotate90ccw(src: Raster): Raster {
  const { width: w, height: h, channels: c } = src;
  const out = new Uint8Array(src.data.length);
  // Output is h wide and w tall.
  for (let i = 0; i < w; i++) {
    for (let j = 0; j < h; j++) {
      const from = (j * w + (w - 1 - i)) * c;
      const to = (i * h + j) * c;
      for (let k = 0; k < c; k++) out[to + k] = src.data[from + k]!;
    }
  }
  return { data: out, width: h, height: w, channels: c };
}

/** cv2.copyMakeBorder with a constant black border above and below. */
export function padVertical(src: Raster, top: number, bottom: number): Raster {
  const row = src.width * src.channels;
  const out = new Uint8Array(row * (src.height + top + bottom));
  out.set(src.data, row * top);
  return { ...src, data: out, height: src.height + top + bottom };
}
