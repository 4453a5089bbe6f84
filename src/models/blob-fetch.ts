import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, rename, rm, stat } from 'node:fs/promises';
import { HearthError } from '../lib/errors.js';
import { describeCause, type HubClient, markTransient } from './hub.js';
import { printable } from './model-id.js';

/** Where downloaded bytes go; injectable so tests can simulate a full disk. */
export interface BlobSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
export type OpenSink = (path: string, mode: 'append' | 'truncate') => Promise<BlobSink>;

export const openFileSink: OpenSink = async (path, mode) => {
  const handle = await open(path, mode === 'append' ? 'a' : 'w');
  return {
    async write(chunk) {
      for (let offset = 0; offset < chunk.length; ) offset += (await handle.write(chunk, offset)).bytesWritten;
    },
    close: () => handle.close(),
  };
};

export interface BlobRequest {
  repoId: string;
  commit: string;
  path: string;
  /** Blob name: LFS sha256 or git blob sha1; when unknown it is taken from the response's ETag. */
  etag?: string;
  size?: number;
}

export interface BlobFetchOptions {
  hub: HubClient;
  blobPath: (etag: string) => string;
  signal: AbortSignal;
  openSink: OpenSink;
  /** No byte for this long fails the download (resumable). */
  stallTimeoutMs: number;
  onProgress: (progress: { etag: string; completed: number; total?: number }) => void;
}

/**
 * Brings one blob into blobs/<etag>: nothing to do when it is there; otherwise the bytes go to
 * blobs/<etag>.incomplete, resumed with a Range request from what an earlier attempt left,
 * are checked (size, then sha256 for LFS blobs or the git blob sha1 for regular files) and
 * renamed into place. A broken or stalled connection keeps the .incomplete file for the next
 * attempt; bytes that fail the check are deleted. Returns the etag.
 *
 * The temp name is the one older huggingface_hub versions resumed; 2.x writes its own
 * <etag>.<random>.incomplete instead and never reads ours, and Hearth does not take its
 * .locks/ file locks: a blob written by both at once costs bandwidth, not correctness, since
 * each side checks the bytes and renames atomically.
 */
export async function fetchBlob(req: BlobRequest, opts: BlobFetchOptions): Promise<string> {
  if (req.etag) {
    const have = await stat(opts.blobPath(req.etag)).catch(() => undefined);
    if (have?.isFile() && (req.size === undefined || have.size === req.size)) {
      // A partial file of ours may be left from before another tool completed the blob.
      await rm(`${opts.blobPath(req.etag)}.incomplete`, { force: true });
      opts.onProgress({ etag: req.etag, completed: have.size, total: have.size });
      return req.etag;
    }
  }
  let offset = req.etag ? await partialSize(opts.blobPath(req.etag), req.size) : 0;
  if (req.etag && req.size !== undefined && offset === req.size) {
    // An earlier attempt got every byte but stopped before the check and rename.
    await finish(req, req.etag, req.size, null, opts).catch((e: unknown) => {
      throw classify(e, req, opts.signal, opts.signal, 0);
    });
    return req.etag;
  }

  const stall = new AbortController();
  const signal = AbortSignal.any([opts.signal, stall.signal]);
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(new Error('stalled')), opts.stallTimeoutMs);
    timer.unref();
  };
  arm();
  let written = 0;
  let etag = req.etag;
  try {
    const res = await opts.hub.download(req.repoId, req.commit, req.path, { offset, signal });
    etag ??= res.etag;
    if (!etag || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(etag)) {
      await res.body.cancel();
      throw new HearthError('pull_failed', `the hub sent no usable ETag for ${printable(req.path)} of ${req.repoId}`);
    }
    if (!req.etag) {
      // The name was unknown until now: the blob may be here already, and nothing was resumed.
      const have = await stat(opts.blobPath(etag)).catch(() => undefined);
      const size = req.size ?? res.size;
      if (have?.isFile() && (size === undefined || have.size === size)) {
        await res.body.cancel();
        opts.onProgress({ etag, completed: have.size, total: have.size });
        return etag;
      }
      offset = 0;
    }
    if (res.status === 206 && res.start !== offset) {
      await res.body.cancel();
      throw new HearthError('pull_failed', `the hub answered bytes from ${res.start} when ${offset} were asked for ${printable(req.path)}`);
    }
    if (res.status === 200) offset = 0; // Range ignored: start over
    const total = req.size ?? res.size;
    const tmp = `${opts.blobPath(etag)}.incomplete`;
    const hash = total === undefined ? null : await startHash(etag, total, tmp, offset);
    const sink = await opts.openSink(tmp, offset > 0 ? 'append' : 'truncate');
    let completed = offset;
    let overlong = false;
    opts.onProgress({ etag, completed, ...(total === undefined ? {} : { total }) });
    try {
      for await (const chunk of res.body) {
        arm();
        if (total !== undefined && completed + chunk.length > total) {
          overlong = true;
          break;
        }
        await sink.write(chunk);
        hash?.update(chunk);
        written += chunk.length;
        completed += chunk.length;
        opts.onProgress({ etag, completed, ...(total === undefined ? {} : { total }) });
      }
    } finally {
      await sink.close();
    }
    if (overlong) {
      await rm(tmp, { force: true });
      throw new HearthError('pull_failed', `the hub sent more than the ${total} bytes of ${printable(req.path)} from ${req.repoId}; the download was discarded`);
    }
    await finish(req, etag, total, hash, opts);
    return etag;
  } catch (e) {
    throw classify(e, req, opts.signal, stall.signal, written);
  } finally {
    clearTimeout(timer);
  }
}

/** Size of a resumable .incomplete file; one longer than the blob cannot be resumed and is dropped. */
async function partialSize(blob: string, size: number | undefined): Promise<number> {
  const tmp = `${blob}.incomplete`;
  const info = await lstat(tmp).catch(() => undefined);
  if (!info?.isFile()) return 0;
  if (size !== undefined && info.size > size) {
    await rm(tmp, { force: true });
    return 0;
  }
  return info.size;
}

/** A hash primed with the bytes already on disk, so a resumed blob is still checked end to end. */
async function startHash(etag: string, total: number, tmp: string, offset: number): Promise<Hash | null> {
  const hash = newHash(etag, total);
  if (offset > 0) for await (const chunk of createReadStream(tmp, { start: 0, end: offset - 1 })) hash.update(chunk as Buffer);
  return hash;
}

/** sha256 for LFS blobs (64 hex); the git blob id, sha1("blob <size>\0" + bytes), for regular files (40 hex). */
function newHash(etag: string, size: number): Hash {
  if (etag.length === 64) return createHash('sha256');
  return createHash('sha1').update(`blob ${size}\0`);
}

async function finish(req: BlobRequest, etag: string, total: number | undefined, hash: Hash | null, opts: BlobFetchOptions): Promise<void> {
  const blob = opts.blobPath(etag);
  const tmp = `${blob}.incomplete`;
  const size = (await stat(tmp)).size;
  if (total !== undefined && size < total) {
    throw markTransient(new HearthError('pull_failed', `download of ${printable(req.path)} from ${req.repoId} ended early (${size} of ${total} bytes); pull again to resume`));
  }
  if (!hash) {
    hash = newHash(etag, size);
    for await (const chunk of createReadStream(tmp)) hash.update(chunk as Buffer);
  }
  const digest = hash.digest('hex');
  if ((total !== undefined && size !== total) || digest !== etag) {
    await rm(tmp, { force: true });
    const what = total !== undefined && size !== total ? `${size} bytes instead of ${total}` : `content hash ${digest.slice(0, 12)}… instead of ${etag.slice(0, 12)}…`;
    throw new HearthError('pull_failed', `${printable(req.path)} from ${req.repoId} failed verification (${what}); the download was discarded`);
  }
  await rename(tmp, blob);
  opts.onProgress({ etag, completed: size, total: size });
}

const STORAGE_CODES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'it is not writable (permission denied)',
  EPERM: 'it is not writable (operation not permitted)',
  EROFS: 'it is on a read-only file system',
};

/** Maps a file-system error to insufficient_storage (507) when the cache cannot take the bytes. */
export function storageError(e: unknown, where: string): HearthError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why = code ? STORAGE_CODES[code] : undefined;
  if (!why) return undefined;
  return new HearthError('insufficient_storage', `cannot write the model cache at ${where}: ${why} (${code})`, { cause: e });
}

function classify(e: unknown, req: BlobRequest, outer: AbortSignal, stall: AbortSignal, written: number): unknown {
  if (outer.aborted) return outer.reason;
  if (e instanceof HearthError) return e;
  const storage = storageError(e, req.repoId);
  if (storage) return storage;
  const where = `${printable(req.path)} from ${req.repoId}`;
  if (stall.aborted) return markTransient(new HearthError('pull_failed', `download of ${where} stalled; pull again to resume`, { cause: e }));
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('E') && !(e instanceof TypeError)) {
    return new HearthError('pull_failed', `cannot write ${where} into the model cache: ${describeCause(e)}`, { cause: e });
  }
  return markTransient(
    new HearthError('pull_failed', `download of ${where} was interrupted after ${written} bytes (${describeCause(e)}); pull again to resume`, { cause: e }),
  );
}
