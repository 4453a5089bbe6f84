/** Image input: the only place images are decoded. */
export { PixelBudget, requestBudget } from './pixel-budget.js';
export { type DecodeImageOptions, type DecodedImage, type ImageLimits, decodeImage } from './decode.js';
export { type ClipPreprocessConfig, clipPixelValues, clipPreprocessConfig } from './clip-preprocess.js';
export { type FixedSizePreprocessConfig, SIGLIP_DEFAULTS, VIT_DEFAULTS, fixedSizePixelValues, fixedSizePreprocessConfig } from './fixed-size-preprocess.js';
export { flattenOnWhite, toRgb } from './rgb.js';
export { IMAGE_FORMATS, type ImageFormat, type SniffedType, sniffImage } from './sniff.js';
export { type ImageFetchOptions, type ImageInput, imageBytes } from './source.js';
