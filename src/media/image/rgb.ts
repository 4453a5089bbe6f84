import type { DecodedImage } from './decode.js';

/**
 * 3-channel RGB as PIL's `Image.convert('RGB')` gives it, which is what CLIP-family processors
 * run: alpha is dropped, not composited, so a transparent pixel keeps the colour stored under it.
 */
export function toRgb(image: DecodedImage): DecodedImage {
  if (image.channels === 3) return image;
  const pixels = image.width * image.height;
  const rgb = Buffer.allocUnsafe(pixels * 3);
  for (let i = 0, o = 0; i < pixels * 4; i += 4, o += 3) {
    rgb[o] = image.data[i]!;
    rgb[o + 1] = image.data[i + 1]!;
    rgb[o + 2] = image.data[i + 2]!;
  }
  return { ...image, data: rgb, channels: 3 };
}

/**
 * 3-channel RGB with alpha composited onto opaque white, as transformers' image processors
 * (convert_to_rgb) flatten RGBA, LA and transparent palette images before resizing. The integer
 * arithmetic is Pillow's alpha_composite (7-bit fixed point, shift-based division by 255), which
 * gives the same bytes for every (value, alpha) pair.
 */
export function flattenOnWhite(image: DecodedImage): DecodedImage {
  if (image.channels === 3) return image;
  const pixels = image.width * image.height;
  const rgb = Buffer.allocUnsafe(pixels * 3);
  for (let i = 0, o = 0; i < pixels * 4; i += 4, o += 3) {
    const a = image.data[i + 3]!;
    const background = 255 * 128 * (255 - a) + (0x80 << 7);
    for (let c = 0; c < 3; c++) {
      const t = image.data[i + c]! * a * 128 + background;
      rgb[o + c] = a === 0 ? 255 : ((((t >> 8) + t) >> 8) >> 7);
    }
  }
  return { ...image, data: rgb, channels: 3 };
}
