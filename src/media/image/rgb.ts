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
