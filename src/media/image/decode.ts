import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { HearthError, invalidRequest } from '../../lib/errors.js';
import { cmykToRgbPil } from './cmyk.js';
import type { PixelBudget } from './pixel-budget.js';
import { type ImageFormat, isImageFormat, sniffImage } from './sniff.js';
import { type ImageFetchOptions, type ImageInput, imageBytes } from './source.js';

export interface ImageLimits {
  /** Encoded bytes (HEARTH_MAX_IMAGE_BYTES). */
  maxBytes: number;
  /** width × height of the first frame, read from the header before decoding (HEARTH_MAX_IMAGE_PIXELS). */
  maxPixels: number;
  /** All images of one request together (HEARTH_MAX_REQUEST_PIXELS); enforced through a PixelBudget. */
  maxRequestPixels?: number;
}

export interface DecodeImageOptions extends ImageLimits {
  /** How URL inputs are fetched; absent, URL inputs are refused. */
  fetch?: ImageFetchOptions;
  signal?: AbortSignal;
  /** The request's running total: charged from the header, before decoding. */
  budget?: PixelBudget;
}

/** 8-bit interleaved sRGB pixels, alpha kept when the image has it, EXIF orientation applied. */
export interface DecodedImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  format: ImageFormat;
  orientationApplied: boolean;
}

// The libvips loader that must have read each accepted format.
const SHARP_FORMAT: Record<ImageFormat, string> = { jpeg: 'jpeg', png: 'png', webp: 'webp', gif: 'gif', tiff: 'tiff', avif: 'heif' };
const BUFFER_LOADERS = [
  'VipsForeignLoadJpegBuffer',
  'VipsForeignLoadPngBuffer',
  'VipsForeignLoadWebpBuffer',
  'VipsForeignLoadNsgifBuffer',
  'VipsForeignLoadTiffBuffer',
  'VipsForeignLoadHeifBuffer',
];

let hardened = false;
/**
 * Second fence behind the sniffing: libvips may load only the accepted formats, and only from
 * memory — no SVG (external references), PDF, file or URL loaders. Process-wide, by design:
 * this module is the only place Hearth decodes images.
 */
function hardenSharp(): void {
  if (hardened) return;
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: BUFFER_LOADERS });
  hardened = true;
}

const undecodable = () => invalidRequest('the image could not be decoded (corrupt or truncated data)');
const tooManyPixels = (limits: ImageLimits, w?: number, h?: number) =>
  new HearthError('payload_too_large', `the image${w && h ? ` (${w}×${h})` : ''} has more than ${limits.maxPixels} pixels`);

/**
 * The one place images are decoded. Type is sniffed from the bytes (415 unless accepted);
 * dimensions are checked from the header before any pixel is decoded (413); animated and
 * multi-page images give their first frame. Corrupt or truncated data of an accepted type is 400.
 */
export async function decodeImage(input: ImageInput, options: DecodeImageOptions): Promise<DecodedImage> {
  const bytes = await imageBytes(input, options);
  const sniffed = sniffImage(bytes);
  if (!isImageFormat(sniffed)) {
    const what = sniffed === 'unknown' ? 'an unrecognised type' : sniffed.toUpperCase();
    throw new HearthError('unsupported_media_type', `the image is ${what}; accepted: JPEG, PNG, WebP, GIF, TIFF, AVIF`);
  }
  hardenSharp();
  // limitInputPixels is libvips' own fence behind the header check below. failOn 'error' refuses
  // truncated data (as PIL does) but not the benign warnings many camera JPEGs carry.
  const image = sharp(bytes, { pages: 1, limitInputPixels: options.maxPixels, failOn: 'error', autoOrient: true });
  let meta: Metadata;
  try {
    meta = await image.metadata();
  } catch (error) {
    throw sharpError(error, options);
  }
  if (meta.format !== SHARP_FORMAT[sniffed] || (sniffed === 'avif' && meta.compression !== 'av1')) {
    throw new HearthError('unsupported_media_type', 'the image content does not match its type');
  }
  const height = meta.pageHeight ?? meta.height;
  if (!(meta.width > 0 && height > 0)) throw invalidRequest('the image has no pixels');
  if (meta.width * height > options.maxPixels) throw tooManyPixels(options, meta.width, height);
  options.budget?.charge(meta.width * height);
  let out: { data: Buffer; info: OutputInfo };
  try {
    // CMYK is converted as Pillow's convert('RGB') does (no ICC), not by libvips' colour
    // management: the model references all open images with PIL, and the two differ by up to ~30/255.
    const cmyk = meta.space === 'cmyk';
    // The CMYK pipeline keeps the stored values (Adobe inversion undone, as Pillow reads them).
    const pipeline = cmyk ? image.pipelineColourspace('cmyk').toColourspace('cmyk') : image.toColourspace('srgb');
    out = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (cmyk) out = { data: cmykToRgbPil(out.data, out.info.channels), info: { ...out.info, channels: 3 } };
  } catch (error) {
    throw sharpError(error, options);
  }
  const channels = out.info.channels;
  if (channels !== 3 && channels !== 4) throw new HearthError('internal_error', `decoder produced ${channels} channels`);
  return {
    data: out.data,
    width: out.info.width,
    height: out.info.height,
    channels,
    format: sniffed,
    orientationApplied: (meta.orientation ?? 1) > 1,
  };
}

function sharpError(error: unknown, limits: ImageLimits): HearthError {
  const message = error instanceof Error ? error.message : '';
  if (/pixel limit/i.test(message)) return tooManyPixels(limits);
  return undecodable();
}
