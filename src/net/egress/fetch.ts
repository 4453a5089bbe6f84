import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { errors as undiciErrors, request } from 'undici';
import { HearthError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Allowlist } from './allowlist.js';
import { type DispatcherFactory, pinnedAgent } from './pin.js';
import { type Resolver, resolveAllowed } from './resolve.js';
import { checkUrl } from './url.js';

export interface SafeFetchOptions {
  /** Body cap (after content decoding); a larger body is cut off with payload_too_large. */
  maxBytes: number;
  /** Whole fetch, DNS and every redirect included; past it upstream_timeout. */
  timeoutMs: number;
  maxRedirects: number;
  allowlist?: Allowlist;
  /** Allowed ports; empty or absent means any. */
  ports?: readonly number[];
  resolver?: Resolver;
  /** Sent to the first origin only: a redirect to another origin drops them. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  log?: Logger;
  dispatcher?: DispatcherFactory;
}

export interface SafeFetchResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  finalUrl: string;
  redirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const BASE_HEADERS = { 'user-agent': 'Hearth (self-hosted AI endpoint)', accept: '*/*', 'accept-encoding': 'identity' };

/**
 * The one way Hearth fetches a URL named by a client: every hop is vetted, resolved once and
 * connected to the pinned addresses; redirects are followed by hand so each target is vetted too.
 */
export async function safeFetch(input: string | URL, options: SafeFetchOptions): Promise<SafeFetchResult> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new HearthError('upstream_timeout', `fetching the URL took longer than ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  try {
    let url = checkUrl(input, options);
    let headers: Record<string, string> = { ...BASE_HEADERS, ...callerHeaders(options.headers) };
    for (let hop = 0; ; hop++) {
      const pin = await resolveAllowed(url.hostname, { allowlist: options.allowlist, resolver: options.resolver, signal, log: options.log });
      options.log?.debug({ host: pin.hostname, addresses: pin.addresses.map((a) => a.address), hop }, 'egress: connecting');
      const dispatcher = (options.dispatcher ?? pinnedAgent)(pin, { timeoutMs: options.timeoutMs });
      try {
        const res = await request(url, { dispatcher, method: 'GET', headers, signal });
        const location = res.headers.location;
        if (REDIRECTS.has(res.statusCode) && typeof location === 'string') {
          discard(res.body);
          if (hop >= options.maxRedirects) throw new HearthError('upstream_failed', `too many redirects (more than ${options.maxRedirects})`);
          const next = redirectTarget(location, url, options.ports);
          if (next.origin !== url.origin) headers = { ...BASE_HEADERS };
          url = next;
          continue;
        }
        const body = await readCapped(res.headers, res.body, options.maxBytes);
        return { status: res.statusCode, headers: res.headers, body, finalUrl: url.href, redirects: hop };
      } finally {
        dispatcher.destroy().catch(() => {});
      }
    }
  } catch (error) {
    throw translate(error, deadline.signal, options);
  } finally {
    clearTimeout(timer);
  }
}

// Host stays the URL's (the pinned connection is for that name); framing headers stay undici's.
const RESERVED_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length', 'expect']);

function callerHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {})
      .map(([name, value]) => [name.toLowerCase(), value] as const)
      .filter(([name]) => !RESERVED_HEADERS.has(name) && !name.startsWith('proxy-')),
  );
}

// Destroying an unfinished undici body emits an AbortError; nobody is left to hear it.
function discard(stream: Readable): void {
  stream.on('error', () => {});
  stream.destroy();
}

function redirectTarget(location: string, base: URL, ports: readonly number[] | undefined): URL {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch {
    throw new HearthError('upstream_failed', 'the server answered with an invalid redirect');
  }
  return checkUrl(next, { ports });
}

async function readCapped(
  headers: Record<string, string | string[] | undefined>,
  raw: Readable,
  maxBytes: number,
): Promise<Buffer> {
  const tooLarge = () => new HearthError('payload_too_large', `the fetched content is larger than ${maxBytes} bytes`);
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(raw);
    throw tooLarge();
  }
  const body = decode(raw, headers['content-encoding']);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } finally {
    discard(body);
    discard(raw);
  }
  return Buffer.concat(chunks, total);
}

// Identity is asked for; a server that compresses anyway is decoded, and the cap counts decoded bytes.
function decode(raw: Readable, encoding: string | string[] | undefined): Readable {
  const name = String(encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return raw;
  const decoder =
    name === 'gzip' || name === 'x-gzip' ? createGunzip() : name === 'deflate' ? createInflate() : name === 'br' ? createBrotliDecompress() : null;
  if (!decoder) {
    discard(raw);
    throw new HearthError('upstream_failed', `the server sent an unsupported content-encoding`);
  }
  raw.on('error', (e) => decoder.destroy(e));
  return raw.pipe(decoder);
}

function translate(error: unknown, deadline: AbortSignal, options: SafeFetchOptions): unknown {
  if (deadline.aborted) return deadline.reason;
  if (options.signal?.aborted) return new HearthError('client_closed', 'the request was cancelled');
  if (error instanceof HearthError) return error;
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new HearthError('upstream_timeout', 'fetching the URL timed out');
  }
  options.log?.debug({ err: (error as Error)?.message, code: (error as { code?: string })?.code }, 'egress: fetch failed');
  const gzip = (error as { code?: string })?.code?.startsWith('Z_');
  return new HearthError('upstream_failed', gzip ? 'the fetched content could not be decompressed' : 'could not fetch the URL');
}
