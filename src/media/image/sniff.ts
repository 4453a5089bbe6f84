/** Formats Hearth decodes. Everything else, SVG and PDF above all, is refused before sharp sees it. */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** What the magic bytes say; the refused kinds are named only for a clearer 415. */
export type SniffedType = ImageFormat | 'svg' | 'pdf' | 'heic' | 'bmp' | 'unknown';

const startsWith = (buf: Uint8Array, sig: number[], at = 0) => sig.every((b, i) => buf[at + i] === b);
const ascii = (buf: Uint8Array, from: number, to: number) => String.fromCharCode(...buf.subarray(from, to));

function sniffIsoBmff(buf: Uint8Array): SniffedType {
  const boxSize = ((buf[0]! << 24) | (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!) >>> 0;
  const end = Math.min(buf.length, Math.max(16, boxSize), 256);
  const brands = [ascii(buf, 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(buf, i, i + 4));
  if (brands.includes('avif') || brands.includes('avis')) return 'avif';
  return brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(b)) ? 'heic' : 'unknown';
}

function looksLikeSvg(buf: Uint8Array): boolean {
  const head = Buffer.from(buf.subarray(0, 4096)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return head.startsWith('<') && /<svg[\s>]/i.test(head);
}

export function sniffImage(buf: Uint8Array): SniffedType {
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (buf.length >= 6 && (ascii(buf, 0, 6) === 'GIF87a' || ascii(buf, 0, 6) === 'GIF89a')) return 'gif';
  if (buf.length >= 12 && ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return 'webp';
  // Classic TIFF only; BigTIFF (II+ / MM+) is refused.
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (buf.length >= 12 && ascii(buf, 4, 8) === 'ftyp') return sniffIsoBmff(buf);
  if (buf.length >= 5 && ascii(buf, 0, 5) === '%PDF-') return 'pdf';
  if (startsWith(buf, [0x42, 0x4d])) return 'bmp';
  if (looksLikeSvg(buf)) return 'svg';
  return 'unknown';
}

export const isImageFormat = (t: SniffedType): t is ImageFormat => (IMAGE_FORMATS as readonly string[]).includes(t);
