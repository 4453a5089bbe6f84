import { HearthError } from '../lib/errors.js';
import { assertRepoId, printable } from './model-id.js';

export interface HubFile {
  path: string;
  size?: number;
  /** Git blob sha1 (the hub's ETag for a regular file). */
  blobId?: string;
  lfs?: { sha256: string; size: number };
}

export interface RevisionInfo {
  /** The 40-hex commit the revision points at. */
  sha: string;
  files: HubFile[];
}

export interface HubDownload {
  /** 206 when the Range was honoured; 200 means the body starts at byte 0 whatever was asked. */
  status: 200 | 206;
  /** Offset of the body's first byte in the file. */
  start: number;
  /** Whole-file size when the response says so (Content-Range total, or Content-Length of a 200). */
  size?: number;
  /** ETag of the final response, quotes and W/ stripped (huggingface_hub's normalisation). */
  etag?: string;
  body: ReadableStream<Uint8Array>;
}

export interface HubClientOptions {
  /** HF_ENDPOINT, e.g. https://huggingface.co; the caller reads the environment. */
  endpoint: string;
  /** HF_TOKEN, sent as a bearer token. */
  token?: string;
  fetch?: typeof fetch;
  userAgent?: string;
}

const COMMIT = /^[0-9a-f]{40}$/;

/** Errors a later attempt may get past (by resuming): network trouble, a stall, a busy hub. */
const transient = new WeakSet<object>();
export const isTransient = (e: unknown): boolean => typeof e === 'object' && e !== null && transient.has(e);
export function markTransient(e: HearthError): HearthError {
  transient.add(e);
  return e;
}

/** The two hub calls a pull needs: the file listing of a revision and a file's bytes. */
export class HubClient {
  readonly endpoint: string;
  private readonly token: string | undefined;
  private readonly fetch: typeof fetch;
  private readonly userAgent: string;

  constructor(options: HubClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.userAgent = options.userAgent ?? 'hearth';
  }

  /** GET /api/models/{repo}/revision/{revision}?blobs=true: the commit and every file with its size and hashes. */
  async revisionInfo(repoId: string, revision: string, signal?: AbortSignal): Promise<RevisionInfo> {
    assertRepoId(repoId);
    const url = `${this.endpoint}/api/models/${repoId}/revision/${encodeURIComponent(revision)}?blobs=true`;
    const res = await this.request(url, { headers: this.headers({ accept: 'application/json' }), signal }, repoId);
    if (!res.ok) throw this.statusError(res, repoId, revision);
    let body: unknown;
    try {
      body = await res.json();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const error = new HearthError('pull_failed', `the hub at ${this.endpoint} sent an unreadable listing for ${repoId}: ${describeCause(e)}`, { cause: e });
      throw e instanceof SyntaxError ? error : markTransient(error);
    }
    return parseRevision(body, repoId, this.endpoint);
  }

  /**
   * GET {endpoint}/{repo}/resolve/{commit}/{path}, following the redirect LFS files get,
   * from byte `offset` on (Range) when offset > 0. Throws on any status but 200/206.
   */
  async download(repoId: string, commit: string, path: string, options: { offset?: number; signal?: AbortSignal } = {}): Promise<HubDownload> {
    assertRepoId(repoId);
    if (!COMMIT.test(commit)) throw new HearthError('invalid_request', `not a commit: "${printable(commit)}"`);
    const offset = options.offset ?? 0;
    const url = `${this.endpoint}/${repoId}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
    // identity: a gzip body would be decoded by fetch and its length would no longer be the file's.
    const headers = this.headers({ 'accept-encoding': 'identity', ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) });
    // fetch drops Authorization when the redirect leaves the hub's origin (an LFS CDN), as huggingface_hub does.
    const res = await this.request(url, { headers, signal: options.signal, redirect: 'follow' }, repoId);
    if (res.status === 404) {
      await res.body?.cancel();
      throw new HearthError('pull_failed', `${repoId} has no file "${printable(path)}" at ${commit.slice(0, 12)} on the hub`);
    }
    if ((res.status !== 200 && res.status !== 206) || !res.body) throw this.statusError(res, repoId, commit, path);
    const etag = normalizeEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    if (res.status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!range) {
        await res.body.cancel();
        throw new HearthError('pull_failed', `the hub answered a range request for ${printable(path)} without a valid Content-Range`);
      }
      const size = range[3] === '*' ? undefined : Number(range[3]);
      return { status: 206, start: Number(range[1]), ...(size === undefined ? {} : { size }), ...(etag ? { etag } : {}), body: res.body };
    }
    // A compressed body (a server ignoring "identity") has a Content-Length that is not the file's.
    const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const length = encoded ? null : res.headers.get('content-length');
    return { status: 200, start: 0, ...(length ? { size: Number(length) } : {}), ...(etag ? { etag } : {}), body: res.body };
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return { 'user-agent': this.userAgent, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  private async request(url: string, init: RequestInit, repoId: string): Promise<Response> {
    try {
      return await this.fetch(url, init);
    } catch (e) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw markTransient(new HearthError('pull_failed', `cannot reach the hub at ${this.endpoint} for ${repoId}: ${describeCause(e)}`, { cause: e }));
    }
  }

  private statusError(res: Response, repoId: string, revision: string, path?: string): HearthError {
    void res.body?.cancel().catch(() => {});
    const what = path ? `${printable(path)} of ${repoId}` : repoId;
    if (res.status === 401 || res.status === 403) {
      // Without a token the hub answers 401 for private, gated and nonexistent repos alike, so all
      // Hearth can truthfully say is "not found (or not visible)": model_not_found. With a token the
      // hub knows who is asking and refused: an upstream failure (pull_failed, 502), not Hearth's own
      // 401, which clients read as "my Hearth API key is wrong".
      const hint = this.token
        ? `the hub refused HF_TOKEN for ${repoId}: the repo is gated or private and this token has no access (accept its terms on the hub, or use a token that can read it)`
        : `${repoId} is gated or private on the hub (or does not exist): set HF_TOKEN to a token that can read it`;
      return new HearthError(this.token ? 'pull_failed' : 'model_not_found', hint, { param: 'model' });
    }
    if (res.status === 404) {
      const code = res.headers.get('x-error-code');
      const message =
        code === 'RevisionNotFound' ? `${repoId} has no revision "${printable(revision)}" on the hub` : `no such model on the hub: ${repoId}`;
      return new HearthError('model_not_found', message, { param: 'model' });
    }
    const error = new HearthError('pull_failed', `the hub at ${this.endpoint} answered ${res.status} for ${what}`);
    return res.status === 429 || res.status >= 500 ? markTransient(error) : error;
  }
}

function parseRevision(body: unknown, repoId: string, endpoint: string): RevisionInfo {
  const bad = (why: string) => new HearthError('pull_failed', `the hub at ${endpoint} sent an invalid listing for ${repoId}: ${why}`);
  if (typeof body !== 'object' || body === null) throw bad('not an object');
  const { sha, siblings } = body as { sha?: unknown; siblings?: unknown };
  if (typeof sha !== 'string' || !COMMIT.test(sha)) throw bad('no 40-hex commit "sha"');
  if (!Array.isArray(siblings)) throw bad('no "siblings" list');
  const files: HubFile[] = [];
  for (const s of siblings as unknown[]) {
    const entry = (s ?? {}) as { rfilename?: unknown; size?: unknown; blobId?: unknown; lfs?: unknown };
    if (typeof entry.rfilename !== 'string') throw bad('a sibling without "rfilename"');
    const file: HubFile = { path: entry.rfilename };
    if (isSize(entry.size)) file.size = entry.size;
    if (typeof entry.blobId === 'string' && COMMIT.test(entry.blobId)) file.blobId = entry.blobId;
    const lfs = entry.lfs as { sha256?: unknown; size?: unknown } | undefined | null;
    if (lfs && typeof lfs === 'object') {
      if (typeof lfs.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(lfs.sha256) || !isSize(lfs.size)) throw bad(`bad lfs info for "${printable(file.path)}"`);
      file.lfs = { sha256: lfs.sha256, size: lfs.size };
    }
    files.push(file);
  }
  return { sha, files };
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** huggingface_hub's _normalize_etag: drop a weak marker and the quotes. */
export function normalizeEtag(etag: string | null | undefined): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

export function describeCause(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const base = e instanceof Error ? e.message : String(e);
  return cause?.code ? `${base} (${cause.code})` : cause?.message ? `${base} (${cause.message})` : base;
}
