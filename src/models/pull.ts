import { stat } from 'node:fs/promises';
import { HearthError, invalidRequest } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { type BlobRequest, fetchBlob, type OpenSink, openFileSink, storageError } from './blob-fetch.js';
import { type HubClient, type HubFile, isTransient, type RevisionInfo } from './hub.js';
import { assertRepoId, printable } from './model-id.js';
import { assertSafeRepoPaths, ONNX_CANDIDATES, selectRunnableFiles, unsafePathError } from './repo-files.js';
import { SingleFlight } from './single-flight.js';
import { assertRevision, type CachedModel, isCommit, type ModelStore } from './store.js';

/** One line of a pull's progress, shaped like Ollama's /api/pull stream. */
export interface PullProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

export interface PullOptions {
  /** Branch, tag or commit; default "main". */
  revision?: string | undefined;
  /** Exactly these repo files (a manifest model); default: the files Hearth can run (see selectRunnableFiles). */
  files?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PullProgress) => void) | undefined;
}

export interface ModelPullerOptions {
  store: ModelStore;
  hub: HubClient;
  log?: Logger;
  /** Files downloaded at once. */
  concurrency?: number;
  /** Extra attempts, each resuming where the last stopped, after a broken connection or a busy hub. */
  retries?: number;
  retryDelayMs?: number;
  stallTimeoutMs?: number;
  /** Least time between two progress events of one file (its last event always goes out). */
  progressIntervalMs?: number;
  openSink?: OpenSink;
}

interface BlobProgress {
  etag: string;
  completed: number;
  total?: number;
}

/**
 * Pulls models from a Hugging Face hub into the hub cache, in huggingface_hub's layout, so
 * Python and Hearth share one cache: blobs/<etag>, snapshots/<commit>/<path> links, refs/<branch>.
 *
 * Why not @huggingface/hub's snapshotDownload (checked in 2.17.5): it downloads every file
 * of the repo (no file selection, so safetensors and all ONNX variants too), reports no byte
 * progress, restarts an interrupted file from zero (it truncates <etag>.incomplete), never
 * checks a size or hash, has no AbortSignal or single flight, and links each file into the
 * snapshot (and writes the ref) as it goes, so an interrupted pull leaves a snapshot that looks
 * usable. Its parts that we need — one listing call and one GET per file — are small.
 *
 * Pulls of the same id, revision and file set share one run (and every blob, one download);
 * each caller gets all progress events and the same result, and its AbortSignal detaches only
 * itself. Nothing appears in snapshots/ or refs/ until every file is on disk and verified.
 */
export class ModelPuller {
  private readonly store: ModelStore;
  private readonly hub: HubClient;
  private readonly log: Logger | undefined;
  private readonly concurrency: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly stallTimeoutMs: number;
  private readonly progressIntervalMs: number;
  private readonly openSink: OpenSink;
  private readonly pulls = new SingleFlight<CachedModel, PullProgress>((p) => p.digest ?? p.status);
  private readonly blobs = new SingleFlight<string, BlobProgress>(() => 'bytes');

  constructor(options: ModelPullerOptions) {
    this.store = options.store;
    this.hub = options.hub;
    this.log = options.log;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.retries = Math.max(0, options.retries ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.openSink = options.openSink ?? openFileSink;
  }

  pull(id: string, options: PullOptions = {}): Promise<CachedModel> {
    try {
      assertRepoId(id);
      const revision = assertRevision(options.revision ?? 'main');
      const files = options.files ? [...new Set(options.files)].sort() : undefined;
      if (files?.length === 0) throw invalidRequest('no files to pull', 'files');
      if (files) assertSafeRepoPaths(files, (p) => invalidRequest(`invalid file path "${printable(p)}"`, 'files'));
      const key = JSON.stringify([id, revision, files ?? null]);
      return this.pulls.run(key, (signal, emit) => this.run(id, revision, files, signal, emit), {
        signal: options.signal,
        onEvent: options.onProgress,
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async run(id: string, revision: string, only: string[] | undefined, signal: AbortSignal, emit: (p: PullProgress) => void): Promise<CachedModel> {
    const started = Date.now();
    emit({ status: 'pulling manifest' });
    const info = await this.retrying(() => this.hub.revisionInfo(id, revision, signal), signal, id);
    assertSafeRepoPaths(info.files.map((f) => f.path), unsafePathError(id));
    const plan: BlobRequest[] = chooseFiles(id, revision, info, only).map((f) => ({
      repoId: id,
      commit: info.sha,
      path: f.path,
      ...(f.lfs ? { etag: f.lfs.sha256, size: f.lfs.size } : { ...(f.blobId ? { etag: f.blobId } : {}), ...(f.size === undefined ? {} : { size: f.size }) }),
    }));
    await this.storage(() => this.store.ensureRepo(id), id);

    const progress = new FileProgress(emit, this.progressIntervalMs);
    const etags = await runAll(plan, this.concurrency, signal, (req, inner) => this.fetchOne(req, inner, progress));

    // Each blob was hashed as it arrived; this confirms all are still in place before linking them.
    emit({ status: 'verifying sha256 digest' });
    for (const [i, req] of plan.entries()) {
      const size = await stat(this.store.blobPath(id, etags[i]!)).then((s) => s.size, () => undefined);
      if (size === undefined || (req.size !== undefined && size !== req.size)) {
        throw new HearthError('pull_failed', `${printable(req.path)} of ${id} changed on disk during the pull; pull again`);
      }
    }
    emit({ status: 'writing manifest' });
    signal.throwIfAborted();
    const links = plan.map((req, i) => ({ path: req.path, etag: etags[i]! }));
    await this.storage(() => this.store.commitSnapshot(id, info.sha, links, isCommit(revision) ? undefined : revision), id);
    const model = await this.store.describe(id, info.sha);
    if (!model) throw new HearthError('pull_failed', `pull of ${id} left no readable snapshot`);
    emit({ status: 'success' });
    this.log?.info({ model: id, revision, commit: info.sha, files: plan.length, duration_ms: Date.now() - started }, 'model pulled');
    return model;
  }

  /** One blob, shared with any other pull needing it, retried (resuming) after transient failures. */
  private async fetchOne(req: BlobRequest, signal: AbortSignal, progress: FileProgress): Promise<string> {
    const key = req.etag ? this.store.blobPath(req.repoId, req.etag) : `${req.repoId}@${req.commit}:${req.path}`;
    return this.retrying(
      () =>
        this.blobs.run(
          key,
          (blobSignal, emit) =>
            fetchBlob(req, {
              hub: this.hub,
              blobPath: (etag) => this.store.blobPath(req.repoId, etag),
              signal: blobSignal,
              openSink: this.openSink,
              stallTimeoutMs: this.stallTimeoutMs,
              onProgress: emit,
            }),
          { signal, onEvent: (p) => progress.update(p) },
        ),
      signal,
      `${req.repoId}/${req.path}`,
    );
  }

  private async retrying<T>(attempt: () => Promise<T>, signal: AbortSignal, what: string): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (signal.aborted || !isTransient(e) || n >= this.retries) throw e;
        this.log?.warn({ what, attempt: n + 1, err: (e as Error).message }, 'pull: retrying');
        await sleep(this.retryDelayMs * (n + 1), signal);
      }
    }
  }

  private async storage<T>(op: () => Promise<T>, id: string): Promise<T> {
    try {
      return await op();
    } catch (e) {
      if (e instanceof HearthError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw (
        storageError(e, id) ??
        (typeof code === 'string' ? new HearthError('pull_failed', `cannot write ${id} into the model cache (${code})`, { cause: e }) : e)
      );
    }
  }
}

function chooseFiles(id: string, revision: string, info: RevisionInfo, only: string[] | undefined): HubFile[] {
  const byPath = new Map(info.files.map((f) => [f.path, f]));
  if (only) {
    const missing = only.filter((p) => !byPath.has(p));
    if (missing.length > 0) {
      const names = missing.map((p) => `"${printable(p)}"`).join(', ');
      throw new HearthError('pull_failed', `${id} at ${revision} (${info.sha.slice(0, 12)}) has no ${names} on the hub`);
    }
    return only.map((p) => byPath.get(p)!);
  }
  const { files, onnx } = selectRunnableFiles(info.files.map((f) => f.path));
  if (!onnx) {
    throw new HearthError('invalid_request', `${id} has no ONNX weights Hearth can run (looked for ${ONNX_CANDIDATES.join(', ')})`, { param: 'model' });
  }
  return files.map((p) => byPath.get(p)!);
}

/** Per-file progress events, at most one per interval per file, the final one always. */
class FileProgress {
  private readonly last = new Map<string, number>();
  private readonly done = new Set<string>();

  constructor(
    private readonly emit: (p: PullProgress) => void,
    private readonly intervalMs: number,
  ) {}

  update({ etag, completed, total }: BlobProgress): void {
    const final = total !== undefined && completed >= total;
    if (this.done.has(etag)) return;
    const now = Date.now();
    const previous = this.last.get(etag);
    if (!final && previous !== undefined && now - previous < this.intervalMs) return;
    this.last.set(etag, now);
    if (final) this.done.add(etag);
    this.emit({
      status: `pulling ${etag.slice(0, 12)}`,
      // An LFS blob is named by its sha256; a regular file by its git blob sha1.
      digest: `${etag.length === 64 ? 'sha256' : 'sha1'}:${etag}`,
      ...(total === undefined ? {} : { total }),
      completed,
    });
  }
}

/** Runs `fn` over items, `limit` at a time; the first failure stops the rest and is thrown once all have stopped. */
async function runAll<T, R>(items: readonly T[], limit: number, outer: AbortSignal, fn: (item: T, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const inner = new AbortController();
  const signal = AbortSignal.any([outer, inner.signal]);
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && !signal.aborted && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, signal);
      } catch (error) {
        if (!failure) {
          failure = { error };
          inner.abort(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (outer.aborted) throw outer.reason;
  if (failure) throw failure.error;
  return results;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(timer), reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
