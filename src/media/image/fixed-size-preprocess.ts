import type { DecodedImage } from './decode.js';
import { normalizeToChw } from './normalize.js';
import { type PilResample, resizePil } from './pil-resample.js';
import { flattenOnWhite, toRgb } from './rgb.js';

/**
 * A plain resize to one fixed size, no crop: ViTImageProcessor (ViT-GPT2 and most VisionEncoderDecoder
 * captioners) and SiglipImageProcessor (PaliGemma / ColPali). They differ only in their defaults.
 */
export interface FixedSizePreprocessConfig {
  height: number;
  width: number;
  resample: PilResample;
  /**
   * How alpha becomes RGB: 'drop' keeps the stored colour (transformers' image-to-text pipeline loads with
   * `convert("RGB")`); 'white' composites onto white (the processor handed a PIL image with alpha).
   */
  alpha: 'white' | 'drop';
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  rescaleFactor: number;
}

type Defaults = Pick<FixedSizePreprocessConfig, 'resample' | 'alpha'>;
/** ViTImageProcessor: bilinear; the captioning pipeline drops alpha. */
export const VIT_DEFAULTS: Defaults = { resample: 'bilinear', alpha: 'drop' };
/** SiglipImageProcessor as ColPali's processor runs it: bicubic, alpha onto white. */
export const SIGLIP_DEFAULTS: Defaults = { resample: 'bicubic', alpha: 'white' };

/**
 * The processor's pixel_values for one image, CHW float32 [3 × height × width]: RGB, Pillow's resize
 * straight to height × width (aspect ratio not kept), rescale, normalise. The image is expected
 * EXIF-oriented already (decodeImage does that).
 */
export function fixedSizePixelValues(image: DecodedImage, cfg: FixedSizePreprocessConfig): Float32Array {
  const rgb = cfg.alpha === 'drop' ? toRgb(image) : flattenOnWhite(image);
  const window = { width: cfg.width, height: cfg.height, left: 0, top: 0, cropWidth: cfg.width, cropHeight: cfg.height };
  return normalizeToChw(resizePil(rgb.data, rgb.width, rgb.height, 3, window, cfg.resample), cfg.width * cfg.height, cfg);
}

// PIL's resample codes as preprocessor_config.json stores them.
const RESAMPLE: Record<number, PilResample> = { 2: 'bilinear', 3: 'bicubic' };

/**
 * The settings of a fixed-size `preprocessor_config.json` (or processor_config.json's `image_processor`);
 * the processor's hub defaults (224, mean/std 0.5, `defaults`) for what it leaves out.
 */
export function fixedSizePreprocessConfig(json: Record<string, unknown>, defaults: Defaults): FixedSizePreprocessConfig {
  const size = json.size as { height?: number; width?: number; shortest_edge?: number } | number | undefined;
  if (typeof size === 'object' && size.shortest_edge !== undefined) throw new Error('only a resize to a fixed height × width is supported, not shortest_edge');
  if (json.do_resize === false || json.do_center_crop === true) throw new Error('only a plain resize to a fixed size is supported');
  const [height, width] = typeof size === 'number' ? [size, size] : [size?.height ?? 224, size?.width ?? 224];
  const resample = json.resample === undefined ? defaults.resample : RESAMPLE[json.resample as number];
  if (!resample) throw new Error(`unsupported resample ${String(json.resample)} (bilinear 2 or bicubic 3)`);
  const triple = (v: unknown, fallback: [number, number, number]): [number, number, number] => {
    if (typeof v === 'number') return [v, v, v];
    return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? (v as [number, number, number]) : fallback;
  };
  const normalize = json.do_normalize !== false;
  return {
    height,
    width,
    resample,
    alpha: defaults.alpha,
    mean: normalize ? triple(json.image_mean, [0.5, 0.5, 0.5]) : [0, 0, 0],
    std: normalize ? triple(json.image_std, [0.5, 0.5, 0.5]) : [1, 1, 1],
    rescaleFactor: json.do_rescale === false ? 1 : typeof json.rescale_factor === 'number' ? json.rescale_factor : 1 / 255,
  };
}
