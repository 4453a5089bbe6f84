/**
 * Pillow's CMYK → RGB (Convert.c cmyk2rgb): R = (255 − K) − C·(255 − K)/255 with its shift-based
 * division, no colour profile. `data` is interleaved CMYK (plus any extra channels, ignored).
 */
export function cmykToRgbPil(data: Uint8Array, channels: number): Buffer {
  const pixels = data.length / channels;
  const rgb = Buffer.allocUnsafe(pixels * 3);
  for (let i = 0, o = 0; o < pixels * 3; i += channels, o += 3) {
    const nk = 255 - data[i + 3]!;
    for (let c = 0; c < 3; c++) {
      const t = data[i + c]! * nk + 128;
      rgb[o + c] = Math.max(0, nk - (((t >> 8) + t) >> 8));
    }
  }
  return rgb;
}
