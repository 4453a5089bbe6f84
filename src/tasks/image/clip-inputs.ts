import { invalidRequest } from '../../lib/errors.js';

export type Modality = 'text' | 'image';
export interface ClipItem {
  modality: Modality;
  value: string;
}

const DATA_IMAGE = /^\s*data:image\//i;

/**
 * `input` for an image-embedding model: strings only. With modality 'image' every item is an image
 * (data URL, base64 or http(s) URL); otherwise an item is text unless it is a data:image/… URI.
 */
export function clipItems(input: unknown, modality: Modality | undefined, maxInputs: number): ClipItem[] {
  const items = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(items)) throw invalidRequest("'input' must be a string or an array of strings (text, or images with modality 'image')", 'input');
  if (items.length === 0) throw invalidRequest("'input' must not be empty", 'input');
  if (!items.every((v) => typeof v === 'string')) throw invalidRequest('image-embedding models take text or images, not token ids; send strings', 'input');
  if (items.length > maxInputs) throw invalidRequest(`'input' holds ${items.length} items; at most ${maxInputs} per request`, 'input');
  return (items as string[]).map((value) => ({ modality: modality ?? (DATA_IMAGE.test(value) ? 'image' : 'text'), value }));
}
