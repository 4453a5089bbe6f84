/**
 * Interleaved 8-bit RGB → CHW float32 pixel_values with transformers' float32 steps: rescale (float64,
 * stored as float32), then (x - mean) / std. One lookup table per channel: 256 values instead of a
 * division per pixel.
 */
export function normalizeToChw(
  pixels: Uint8Array,
  plane: number,
  cfg: { mean: readonly [number, number, number]; std: readonly [number, number, number]; rescaleFactor: number },
): Float32Array {
  const out = new Float32Array(3 * plane);
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    const mean = f(cfg.mean[c]!);
    const std = f(cfg.std[c]!);
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = f(f(f(v * cfg.rescaleFactor) - mean) / std);
    for (let p = 0; p < plane; p++) out[c * plane + p] = lut[pixels[p * 3 + c]!]!;
  }
  return out;
}
