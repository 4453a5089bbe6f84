import type { DecodedImage } from './decode.js';
import { normalizeToChw } from './normalize.js';
import { resizeBicubicPil } from './pil-resample.js';
import { flattenOnWhite, toRgb } from './rgb.js';

export interface ClipPreprocessConfig {
  shortestEdge: number;
  cropHeight: number;
  cropWidth: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  resample: 'bicubic';
  rescaleFactor: number;
  /**
   * How alpha becomes RGB: 'white' composites onto white as the image processor does when handed a
   * PIL image with alpha (the default); 'drop' keeps the stored colour, as transformers' load_image does.
   */
  alpha?: 'white' | 'drop';
}

/**
 * CLIPImageProcessor's pixel_values for one image, CHW float32 [3 × cropHeight × cropWidth]:
 * RGB, bicubic resize (Pillow's) so the shortest edge is `shortestEdge`, centre crop, rescale,
 * normalise. The image is expected EXIF-oriented already (decodeImage does that).
 */
export function clipPixelValues(image: DecodedImage, cfg: ClipPreprocessConfig): Float32Array {
  if (cfg.shortestEdge < cfg.cropHeight || cfg.shortestEdge < cfg.cropWidth) {
    // transformers would zero-pad the crop here; no CLIP checkpoint is configured that way.
    throw new Error(`shortest_edge ${cfg.shortestEdge} is smaller than the ${cfg.cropWidth}×${cfg.cropHeight} crop`);
  }
  const rgb = cfg.alpha === 'drop' ? toRgb(image) : flattenOnWhite(image);
  const { width, height } = rgb;
  // get_resize_output_image_size(default_to_square=False): the long side is truncated, not rounded.
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newShort = cfg.shortestEdge;
  const newLong = Math.trunc((cfg.shortestEdge * long) / short);
  const [newW, newH] = width <= height ? [newShort, newLong] : [newLong, newShort];
  const window = {
    width: newW,
    height: newH,
    top: Math.floor((newH - cfg.cropHeight) / 2),
    left: Math.floor((newW - cfg.cropWidth) / 2),
    cropWidth: cfg.cropWidth,
    cropHeight: cfg.cropHeight,
  };
  const pixels = resizeBicubicPil(rgb.data, width, height, 3, window);

  return normalizeToChw(pixels, cfg.cropWidth * cfg.cropHeight, cfg);
}

/** The preprocessing settings of a CLIP `preprocessor_config.json` (hub defaults for what it leaves out). */
export function clipPreprocessConfig(json: Record<string, unknown>): ClipPreprocessConfig {
  const size = (json.size ?? {}) as { shortest_edge?: number };
  const crop = (json.crop_size ?? {}) as { height?: number; width?: number } | number;
  const [cropHeight, cropWidth] = typeof crop === 'number' ? [crop, crop] : [crop.height ?? 224, crop.width ?? 224];
  const resample = json.resample ?? 3;
  if (resample !== 3) throw new Error(`unsupported resample ${String(resample)} (only bicubic, 3)`);
  const triple = (v: unknown, fallback: [number, number, number]) =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? (v as [number, number, number]) : fallback;
  return {
    shortestEdge: size.shortest_edge ?? (typeof json.size === 'number' ? json.size : 224),
    cropHeight,
    cropWidth,
    mean: triple(json.image_mean, [0.48145466, 0.4578275, 0.40821073]),
    std: triple(json.image_std, [0.26862954, 0.26130258, 0.27577711]),
    resample: 'bicubic',
    rescaleFactor: typeof json.rescale_factor === 'number' ? json.rescale_factor : 1 / 255,
  };
}
