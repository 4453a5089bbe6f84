import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecodeImageOptions, type DecodedImage, PixelBudget, decodeImage, requestBudget, toRgb } from '../../../src/media/image/index.js';
import { parseAllowlist } from '../../../src/net/egress/index.js';
import { type LoopbackServer, startLoopbackServer } from '../../helpers/loopback.js';

// Fixtures are made here with sharp or by hand; no files. Network traffic stays on loopback:
// the fixture on 127.0.0.1 is allowlisted, the canary on 127.0.0.2 is not and must stay silent.
const LIMITS: DecodeImageOptions = { maxBytes: 2 * 1024 * 1024, maxPixels: 50_000_000 };

const solid = (width: number, height: number, background: { r: number; g: number; b: number; alpha?: number }, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background } });

/** A w×h image whose left half is red and right half blue. */
async function halves(width: number, height: number) {
  const left = await solid(width / 2, height, { r: 255, g: 0, b: 0 }).png().toBuffer();
  return solid(width, height, { r: 0, g: 0, b: 255 }).composite([{ input: left, left: 0, top: 0 }]);
}

const pixel = (img: DecodedImage, x: number, y: number) => {
  const at = (y * img.width + x) * img.channels;
  return [...img.data.subarray(at, at + img.channels)];
};
const near = (actual: number[], expected: number[], tolerance = 12) =>
  expect(actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance), `${actual} ≈ ${expected}`).toBe(true);

/** Rewrites the IHDR size of a valid PNG and fixes its CRC: a header that promises any size. */
function pngWithHeaderSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  expect(out.toString('latin1', 12, 16)).toBe('IHDR');
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)) >>> 0, 29);
  return out;
}

/** A hand-built animated GIF: one single-colour frame per palette index, each as large as the canvas. */
function animatedGif(frames: number[], canvas = { width: 1, height: 1 }): Buffer {
  const parts: Buffer[] = [Buffer.from('GIF89a', 'latin1')];
  const lsd = Buffer.alloc(7);
  lsd.writeUInt16LE(canvas.width, 0);
  lsd.writeUInt16LE(canvas.height, 2);
  lsd[4] = 0xf1; // global colour table of 4 entries
  parts.push(lsd, Buffer.from([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]));
  parts.push(Buffer.from([0x21, 0xff, 0x0b]), Buffer.from('NETSCAPE2.0', 'latin1'), Buffer.from([3, 1, 0, 0, 0]));
  for (const index of frames) {
    parts.push(Buffer.from([0x21, 0xf9, 4, 0x04, 10, 0, 0, 0])); // graphic control: 100 ms
    const descriptor = Buffer.from([0x2c, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // frame at 0,0
    descriptor.writeUInt16LE(canvas.width, 5);
    descriptor.writeUInt16LE(canvas.height, 7);
    parts.push(descriptor);
    // LZW, 3-bit codes: clear (4), the index, end (5): one pixel of data, whatever the frame promises.
    parts.push(Buffer.from([2, 2, (4 | (index << 3) | ((5 & 3) << 6)) & 0xff, 5 >> 2, 0]));
  }
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected decoding to fail');
}

let fixture: LoopbackServer;
let canary: LoopbackServer;
let pngBytes: Buffer;

beforeAll(async () => {
  pngBytes = await solid(8, 6, { r: 10, g: 200, b: 30 }).png().toBuffer();
  canary = await startLoopbackServer('127.0.0.2');
  fixture = await startLoopbackServer('127.0.0.1', (req, res) => {
    if (req.url === '/cat.png') return void res.end(pngBytes);
    if (req.url === '/big.png') return void res.end(Buffer.alloc(LIMITS.maxBytes + 1));
    if (req.url === '/to-canary') {
      res.writeHead(302, { location: `${canary.url}/x.png` });
      return void res.end();
    }
    res.writeHead(404);
    res.end();
  });
});

afterAll(async () => {
  await Promise.all([fixture.close(), canary.close()]);
});

const withFetch = (): DecodeImageOptions => ({
  ...LIMITS,
  fetch: { allowlist: parseAllowlist(['127.0.0.1/32']), timeoutMs: 2000, maxRedirects: 3 },
});

describe('decodeImage: formats and input forms', () => {
  it.each(['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif'] as const)('round-trips %s', async (format) => {
    const bytes = await solid(24, 16, { r: 200, g: 60, b: 20 }).toFormat(format).toBuffer();
    const img = await decodeImage({ kind: 'bytes', data: bytes }, LIMITS);
    expect(img).toMatchObject({ width: 24, height: 16, format, orientationApplied: false });
    expect([3, 4]).toContain(img.channels);
    expect(img.data.length).toBe(24 * 16 * img.channels);
    near(pixel(img, 12, 8).slice(0, 3), [200, 60, 20], format === 'gif' ? 40 : 12);
  });

  it('accepts a data URL, bare base64 (wrapped or url-safe) and a Uint8Array', async () => {
    const b64 = pngBytes.toString('base64');
    const forms = [
      `data:image/png;base64,${b64}`,
      ` DATA:Image/PNG;base64,${b64} `,
      b64,
      b64.replace(/(.{16})/g, '$1\n'),
      pngBytes.toString('base64url'),
    ];
    for (const form of forms) {
      const img = await decodeImage(form, LIMITS);
      expect(img).toMatchObject({ width: 8, height: 6, format: 'png' });
    }
    const view = new Uint8Array(pngBytes.buffer, pngBytes.byteOffset, pngBytes.byteLength);
    expect((await decodeImage({ kind: 'bytes', data: view }, LIMITS)).width).toBe(8);
  });

  it('lets the bytes decide when a data URL mislabels one image type as another', async () => {
    const jpeg = await solid(4, 4, { r: 0, g: 0, b: 0 }).jpeg().toBuffer();
    const img = await decodeImage(`data:image/png;base64,${jpeg.toString('base64')}`, LIMITS);
    expect(img.format).toBe('jpeg');
  });

  it('applies EXIF orientation', async () => {
    const jpeg = await (await halves(32, 16)).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const img = await decodeImage({ kind: 'bytes', data: jpeg }, LIMITS);
    expect(img).toMatchObject({ width: 16, height: 32, orientationApplied: true });
    // Rotated 90° clockwise: the red left half is now on top.
    near(pixel(img, 8, 4), [255, 0, 0], 40);
    near(pixel(img, 8, 28), [0, 0, 255], 40);
  });

  it('decodes 1×1 and converts grey, grey+alpha, 16-bit and CMYK to 8-bit sRGB', async () => {
    const one = await decodeImage({ kind: 'bytes', data: await solid(1, 1, { r: 1, g: 2, b: 3 }).png().toBuffer() }, LIMITS);
    expect(one).toMatchObject({ width: 1, height: 1, channels: 3 });
    expect(pixel(one, 0, 0)).toEqual([1, 2, 3]);

    const grey = await decodeImage({ kind: 'bytes', data: await solid(4, 4, { r: 90, g: 90, b: 90 }).greyscale().png().toBuffer() }, LIMITS);
    expect(grey.channels).toBe(3);
    expect(pixel(grey, 1, 1)).toEqual([90, 90, 90]);

    const ga = await sharp(Buffer.from([120, 0, 60, 255]), { raw: { width: 2, height: 1, channels: 2 } }).png().toBuffer();
    const greyAlpha = await decodeImage({ kind: 'bytes', data: ga }, LIMITS);
    expect(greyAlpha.channels).toBe(4);
    expect(pixel(greyAlpha, 0, 0)).toEqual([120, 120, 120, 0]);

    const deep = await solid(4, 4, { r: 255, g: 128, b: 0 }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const img16 = await decodeImage({ kind: 'bytes', data: deep }, LIMITS);
    expect(img16.data.length).toBe(4 * 4 * img16.channels);
    near(pixel(img16, 0, 0).slice(0, 3), [255, 128, 0], 2);

    const cmyk = await solid(4, 4, { r: 0, g: 0, b: 255 }).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const fromCmyk = await decodeImage({ kind: 'bytes', data: cmyk }, LIMITS);
    expect(fromCmyk.channels).toBe(3);
  });

  it('keeps alpha, and toRgb drops it as PIL convert("RGB") does (no compositing)', async () => {
    const rgba = Buffer.from([200, 100, 50, 0, 10, 20, 30, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const img = await decodeImage({ kind: 'bytes', data: png }, LIMITS);
    expect(img.channels).toBe(4);
    expect([...img.data]).toEqual([...rgba]);
    const rgb = toRgb(img);
    expect(rgb.channels).toBe(3);
    expect([...rgb.data]).toEqual([200, 100, 50, 10, 20, 30]);
    const opaque = await decodeImage({ kind: 'bytes', data: pngBytes }, LIMITS);
    expect(toRgb(opaque)).toBe(opaque);
  });
});

describe('decodeImage: animated input', () => {
  it('gives the first frame of an animated GIF', async () => {
    const gif = animatedGif([1, 2, 2, 3]);
    expect((await sharp(gif, { pages: -1 }).metadata()).pages).toBe(4);
    const img = await decodeImage({ kind: 'bytes', data: gif }, LIMITS);
    expect(img).toMatchObject({ width: 1, height: 1, format: 'gif' });
    expect(pixel(img, 0, 0).slice(0, 3)).toEqual([255, 0, 0]);
  });

  it('handles a 5,000-frame GIF quickly, first frame only', async () => {
    const gif = animatedGif([2, ...Array.from({ length: 4999 }, () => 1)]);
    const started = performance.now();
    const img = await decodeImage({ kind: 'bytes', data: gif }, LIMITS);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(img).toMatchObject({ width: 1, height: 1 });
    expect(pixel(img, 0, 0).slice(0, 3)).toEqual([0, 255, 0]);
  });

  it('gives the first frame of an animated WebP', async () => {
    const frames = Buffer.concat([Buffer.alloc(12, 0), Buffer.from(Array.from({ length: 4 }, () => [0, 0, 255]).flat())]);
    const webp = await sharp(frames, { raw: { width: 2, height: 4, channels: 3, pageHeight: 2 } as never })
      .webp({ lossless: true })
      .toBuffer();
    const img = await decodeImage({ kind: 'bytes', data: webp }, LIMITS);
    expect(img.height).toBe(2);
    expect(pixel(img, 0, 0).slice(0, 3)).toEqual([0, 0, 0]);
  });
});

describe('decodeImage: hostile input', () => {
  it('refuses a 20000×20000 PNG bomb from its header, fast, alone and 20 at once', async () => {
    const bomb = pngWithHeaderSize(await solid(1, 1, { r: 0, g: 0, b: 0 }).png().toBuffer(), 20000, 20000);
    expect((await sharp(bomb, { limitInputPixels: false }).metadata()).width).toBe(20000);
    const rssBefore = process.memoryUsage().rss;
    let started = performance.now();
    const one = await failure(decodeImage({ kind: 'bytes', data: bomb }, LIMITS));
    expect(one.code).toBe('payload_too_large');
    expect(performance.now() - started).toBeLessThan(200);
    started = performance.now();
    const many = await Promise.all(Array.from({ length: 20 }, () => failure(decodeImage({ kind: 'bytes', data: bomb }, LIMITS))));
    expect(many.every((e) => e.code === 'payload_too_large')).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a GIF whose frame promises 65535×65535', async () => {
    const e = await failure(decodeImage({ kind: 'bytes', data: animatedGif([1], { width: 65535, height: 65535 }) }, LIMITS));
    expect(e.code).toBe('payload_too_large');
  });

  it('refuses pixels above a configured limit', async () => {
    const bytes = await solid(100, 100, { r: 0, g: 0, b: 0 }).png().toBuffer();
    expect((await failure(decodeImage({ kind: 'bytes', data: bytes }, { ...LIMITS, maxPixels: 9999 }))).code).toBe('payload_too_large');
    expect((await decodeImage({ kind: 'bytes', data: bytes }, { ...LIMITS, maxPixels: 10000 })).width).toBe(100);
  });

  it('answers 400 for corrupt, truncated and empty images of an accepted type, 415 for unknown bytes', async () => {
    const noisy = await sharp(Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const jpeg = await (await halves(64, 64)).jpeg().toBuffer();
    const zero = pngWithHeaderSize(pngBytes, 0, 0);
    const cases: [string, Buffer, string][] = [
      ['truncated PNG', noisy.subarray(0, Math.floor(noisy.length / 2)), 'invalid_request'],
      ['truncated JPEG', jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'invalid_request'],
      ['PNG signature then garbage', Buffer.concat([pngBytes.subarray(0, 8), Buffer.alloc(100, 0xab)]), 'invalid_request'],
      ['0×0 PNG', zero, 'invalid_request'],
      ['random bytes', Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31) % 256)), 'unsupported_media_type'],
      ['empty', Buffer.alloc(0), 'unsupported_media_type'],
      ['BMP', Buffer.concat([Buffer.from('BM', 'latin1'), Buffer.alloc(60)]), 'unsupported_media_type'],
      ['PDF', Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF', 'latin1'), 'unsupported_media_type'],
    ];
    for (const [name, data, code] of cases) {
      expect((await failure(decodeImage({ kind: 'bytes', data }, LIMITS))).code, name).toBe(code);
    }
  });

  it('refuses SVG, even with external references, without any network attempt', async () => {
    const svg = Buffer.from(
      `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">` +
        `<image xlink:href="${canary.url}/x.png" width="10" height="10"/><use href="${canary.url}/defs.svg#a"/></svg>`,
    );
    const b64 = svg.toString('base64');
    for (const input of [{ kind: 'bytes' as const, data: svg }, `data:image/svg+xml;base64,${b64}`, `data:image/png;base64,${b64}`, b64]) {
      expect((await failure(decodeImage(input, withFetch()))).code).toBe('unsupported_media_type');
    }
    // The second fence: even handed straight to sharp, SVG is not loaded once decoding is hardened.
    await expect(sharp(svg).metadata()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(canary.connections).toBe(0);
  });

  it('answers 400 for bad base64 and malformed data URLs, 415 for non-image data URLs', async () => {
    const b64 = pngBytes.toString('base64');
    const cases: [string, string][] = [
      ['not*base64!', 'invalid_request'],
      ['abcde', 'invalid_request'],
      ['', 'invalid_request'],
      ['./cat.png', 'invalid_request'],
      [`${b64.slice(0, 10)}+-${b64.slice(10)}`, 'invalid_request'],
      ['data:image/png;base64', 'invalid_request'],
      [`data:image/png,${encodeURIComponent(pngBytes.toString('latin1'))}`, 'invalid_request'],
      [`data:text/plain;base64,${b64}`, 'unsupported_media_type'],
      [`data:application/pdf;base64,${b64}`, 'unsupported_media_type'],
      ['data:image/png;base64,!!!!', 'invalid_request'],
    ];
    for (const [input, code] of cases) {
      expect((await failure(decodeImage(input, LIMITS))).code, input.slice(0, 40)).toBe(code);
    }
  });

  it('never reads a request string as a file path', async () => {
    // "/etc/passwd" is valid base64: it decodes to bytes that are no image, never to a file read.
    expect((await failure(decodeImage('/etc/passwd', LIMITS))).code).toBe('unsupported_media_type');
    expect((await failure(decodeImage('file:///etc/passwd', withFetch()))).code).toBe('url_not_allowed');
  });

  it('caps bytes for uploads and base64 before decoding', async () => {
    const small = { ...LIMITS, maxBytes: pngBytes.length - 1 };
    expect((await failure(decodeImage({ kind: 'bytes', data: pngBytes }, small))).code).toBe('payload_too_large');
    expect((await failure(decodeImage(pngBytes.toString('base64'), small))).code).toBe('payload_too_large');
    expect((await failure(decodeImage(`data:image/png;base64,${pngBytes.toString('base64')}`, small))).code).toBe('payload_too_large');
  });
});

describe('decodeImage: URL input through the egress guard', () => {
  it('fetches an image from the allowlisted loopback fixture', async () => {
    const img = await decodeImage(`${fixture.url}/cat.png`, withFetch());
    expect(img).toMatchObject({ width: 8, height: 6, format: 'png' });
  });

  it('refuses the canary directly and through a redirect; the canary sees nothing', async () => {
    expect((await failure(decodeImage(`${canary.url}/x.png`, withFetch()))).code).toBe('url_not_allowed');
    expect((await failure(decodeImage(`${fixture.url}/to-canary`, withFetch()))).code).toBe('url_not_allowed');
    expect(canary.connections).toBe(0);
  });

  it('refuses URLs when no fetch options are given', async () => {
    expect((await failure(decodeImage(`${fixture.url}/cat.png`, LIMITS))).code).toBe('url_not_allowed');
  });

  it('maps an upstream 404 to upstream_failed and an oversized body to payload_too_large', async () => {
    expect((await failure(decodeImage(`${fixture.url}/missing.png`, withFetch()))).code).toBe('upstream_failed');
    expect((await failure(decodeImage(`${fixture.url}/big.png`, withFetch()))).code).toBe('payload_too_large');
  });
});

describe('PixelBudget: all images of one request together', () => {
  it('charges each image from its header and refuses the one that crosses the cap with 413', async () => {
    const png = await solid(100, 100, { r: 1, g: 2, b: 3 }).png().toBuffer();
    const budget = new PixelBudget(25_000);
    const options = { ...LIMITS, budget };
    await decodeImage({ kind: 'bytes', data: png }, options);
    await decodeImage({ kind: 'bytes', data: png }, options);
    await expect(decodeImage({ kind: 'bytes', data: png }, options)).rejects.toMatchObject({ code: 'payload_too_large', message: expect.stringMatching(/25000 pixels in all/) });
  });

  it('requestBudget gives a fresh budget per request, none without a cap', () => {
    expect(requestBudget({})).toBeUndefined();
    const a = requestBudget({ maxRequestPixels: 10 })!;
    a.charge(10);
    expect(() => requestBudget({ maxRequestPixels: 10 })!.charge(10)).not.toThrow();
    expect(() => a.charge(1)).toThrow(/10 pixels in all/);
  });
});
