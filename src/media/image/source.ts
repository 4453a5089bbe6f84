import { HearthError, invalidRequest } from '../../lib/errors.js';
import { type SafeFetchOptions, safeFetch } from '../../net/egress/index.js';

/** An uploaded file's bytes, or a string: data URL, bare base64, or an http(s) URL. */
export type ImageInput = string | { kind: 'bytes'; data: Uint8Array };

/** How URL inputs are fetched (the byte cap comes from the image limits). */
export type ImageFetchOptions = Omit<SafeFetchOptions, 'maxBytes' | 'signal'>;

export interface SourceOptions {
  maxBytes: number;
  /** Absent: URL inputs are refused. */
  fetch?: ImageFetchOptions;
  signal?: AbortSignal;
}

const tooLarge = (maxBytes: number) => new HearthError('payload_too_large', `the image is larger than ${maxBytes} bytes`);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The input's bytes, always a Buffer: a request string is never handed to a library that
 * could read it as a path or fetch it itself (sharp(string) opens a file).
 */
export async function imageBytes(input: ImageInput, options: SourceOptions): Promise<Buffer> {
  if (typeof input !== 'string') {
    if (input.data.byteLength > options.maxBytes) throw tooLarge(options.maxBytes);
    return Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength);
  }
  const text = input.trim();
  if (/^data:/i.test(text)) return fromDataUrl(text, options.maxBytes);
  // Base64 has no ':', so anything with a scheme is a URL; checkUrl refuses all but http(s).
  if (SCHEME.test(text)) return fromUrl(text, options);
  return fromBase64(text, options.maxBytes);
}

/**
 * `data:image/…;base64,…`. A wrong image/* label is tolerated (the bytes decide, as browsers
 * and OpenAI do; clients often label every image image/jpeg); a non-image type is refused.
 */
function fromDataUrl(text: string, maxBytes: number): Buffer {
  const comma = text.indexOf(',');
  if (comma < 0) throw invalidRequest('malformed data URL: no comma');
  const [mime = '', ...params] = text.slice(5, comma).split(';').map((p) => p.trim().toLowerCase());
  if (mime === 'image/svg+xml') throw new HearthError('unsupported_media_type', 'SVG images are not accepted');
  if (mime !== '' && !mime.startsWith('image/') && mime !== 'application/octet-stream') {
    throw new HearthError('unsupported_media_type', `data URL type ${mime.slice(0, 64)} is not an image`);
  }
  if (!params.includes('base64')) throw invalidRequest('image data URLs must be base64-encoded (;base64,)');
  return fromBase64(text.slice(comma + 1), maxBytes);
}

function fromBase64(text: string, maxBytes: number): Buffer {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  if (compact.length === 0) throw invalidRequest('the image is empty');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  if (Math.floor((compact.length * 3) / 4) - padding > maxBytes) throw tooLarge(maxBytes);
  const url = !BASE64.test(compact);
  if ((url && !BASE64URL.test(compact)) || compact.length % 4 === 1) {
    throw invalidRequest('the image is neither a URL, a data URL nor valid base64');
  }
  return Buffer.from(compact, url ? 'base64url' : 'base64');
}

async function fromUrl(text: string, options: SourceOptions): Promise<Buffer> {
  if (!options.fetch) throw new HearthError('url_not_allowed', 'URL not allowed: image URLs are not fetched here');
  const res = await safeFetch(text, { ...options.fetch, maxBytes: options.maxBytes, signal: options.signal });
  if (res.status < 200 || res.status > 299) {
    throw new HearthError('upstream_failed', `fetching the image failed: the server answered ${res.status}`);
  }
  return res.body;
}
