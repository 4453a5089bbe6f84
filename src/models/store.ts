import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { HearthError } from '../lib/errors.js';
import { assertRepoId, printable, repoFolderName } from './model-id.js';
import { isSafeRepoPath } from './repo-files.js';

const COMMIT = /^[0-9a-f]{40}$/;
const REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Blob names: a git blob sha1 (regular files) or an LFS sha256. */
const ETAG = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export const isCommit = (revision: string): boolean => COMMIT.test(revision);

/** A revision is a 40-hex commit or a branch/tag name that can be a file under refs/. */
export function assertRevision(revision: string): string {
  if (!COMMIT.test(revision) && !REF.test(revision)) {
    throw new HearthError('invalid_request', `invalid revision "${printable(revision)}"`, { param: 'revision' });
  }
  return revision;
}

/** One file of a snapshot: its path in the repo and the blob holding its bytes. */
export interface SnapshotFile {
  path: string;
  etag: string;
}

export interface CachedModel {
  id: string;
  revision: string;
  snapshotDir: string;
  files: string[];
  sizeBytes: number;
  modifiedAt: Date;
}

/**
 * The Hugging Face hub cache ($HF_HOME/hub): models--{org}--{name}/{blobs,refs,snapshots}.
 * Same layout huggingface_hub writes, so both tools share one cache. Every path
 * built from a model id or file name is checked to stay inside the cache.
 */
export class ModelStore {
  constructor(readonly hubDir: string) {}

  repoDir(id: string): string {
    return join(this.hubDir, repoFolderName(assertRepoId(id)));
  }

  /** Resolves a revision (branch/tag ref or commit) to the snapshot folder; undefined when not on disk. */
  async snapshotDir(id: string, revision = 'main'): Promise<string | undefined> {
    const repo = this.repoDir(id);
    let commit = revision;
    if (!COMMIT.test(revision)) {
      if (!REF.test(revision)) throw new HearthError('invalid_request', `invalid revision "${revision.slice(0, 60)}"`, { param: 'revision' });
      try {
        commit = (await readFile(join(repo, 'refs', revision), 'utf8')).trim();
      } catch {
        return undefined;
      }
      if (!COMMIT.test(commit)) return undefined;
    }
    const dir = join(repo, 'snapshots', commit);
    try {
      return await this.inside(dir);
    } catch {
      return undefined;
    }
  }

  /** Absolute real path of one file of a snapshot, or undefined when missing. Rejects escapes. */
  async filePath(snapshotDir: string, file: string): Promise<string | undefined> {
    const joined = join(snapshotDir, file);
    if (relative(snapshotDir, joined).startsWith('..')) throw new HearthError('invalid_request', `invalid file path "${file}"`);
    try {
      return await this.inside(joined);
    } catch {
      return undefined;
    }
  }

  /** The snapshot when every listed file is present. */
  async resolveComplete(id: string, revision: string, files: readonly string[]): Promise<string | undefined> {
    // The pinned revision first; an air-gapped import may only have refs/main.
    for (const rev of revision === 'main' ? ['main'] : [revision, 'main']) {
      const dir = await this.snapshotDir(id, rev);
      if (!dir) continue;
      let complete = true;
      for (const file of files) if (!(await this.filePath(dir, file))) complete = false;
      if (complete) return dir;
    }
    return undefined;
  }

  /** Every model folder in the cache with its main (or only) snapshot. */
  async list(): Promise<CachedModel[]> {
    let names: string[];
    try {
      names = await readdir(this.hubDir);
    } catch {
      return [];
    }
    const out: CachedModel[] = [];
    for (const folder of names.filter((n) => n.startsWith('models--')).sort()) {
      const parts = folder.slice('models--'.length).split('--');
      if (parts.length !== 2) continue;
      const id = `${parts[0]}/${parts[1]}`;
      const model = await this.describe(id).catch(() => undefined);
      if (model) out.push(model);
    }
    return out;
  }

  async describe(id: string, revision = 'main'): Promise<CachedModel | undefined> {
    let snapshot = await this.snapshotDir(id, revision);
    if (!snapshot && revision === 'main') {
      const snaps = await readdir(join(this.repoDir(id), 'snapshots')).catch(() => [] as string[]);
      if (snaps.length === 1) snapshot = await this.snapshotDir(id, snaps[0]!);
    }
    if (!snapshot) return undefined;
    const files = await listFiles(snapshot);
    let sizeBytes = 0;
    let modified = 0;
    for (const file of files) {
      const info = await stat(join(snapshot, file));
      sizeBytes += info.size;
      modified = Math.max(modified, info.mtimeMs);
    }
    return { id, revision: snapshot.split(sep).pop()!, snapshotDir: snapshot, files, sizeBytes, modifiedAt: new Date(modified) };
  }

  /**
   * Copies a local model folder into the cache: content-addressed blobs (sha256),
   * a snapshot of relative symlinks, and refs/main. Blobs are written to a temp
   * name and renamed, so an interrupted import never leaves a half blob.
   */
  async importDir(sourceDir: string, id: string, revision?: string): Promise<CachedModel> {
    const repo = this.repoDir(id);
    const files = (await listFiles(sourceDir)).filter((f) => !f.split('/').some((p) => p.startsWith('.')));
    if (files.length === 0) throw new HearthError('invalid_request', `no files to import in ${sourceDir}`);
    const hashes = new Map<string, string>();
    for (const file of files) hashes.set(file, await sha256File(join(sourceDir, file)));
    const commit = revision && COMMIT.test(revision) ? revision : contentCommit(hashes);
    await mkdir(join(repo, 'blobs'), { recursive: true });
    await mkdir(join(repo, 'refs'), { recursive: true });
    const snapshot = join(repo, 'snapshots', commit);
    for (const [file, hash] of hashes) {
      const blob = join(repo, 'blobs', hash);
      if (!(await exists(blob))) {
        const tmp = `${blob}.incomplete`;
        await copyFile(join(sourceDir, file), tmp);
        await rename(tmp, blob);
      }
      const link = join(snapshot, file);
      await mkdir(dirname(link), { recursive: true });
      await rm(link, { force: true });
      await symlink(relative(dirname(link), blob), link);
    }
    await writeFile(join(repo, 'refs', 'main'), commit);
    const model = await this.describe(id);
    if (!model) throw new Error(`import of ${id} left no readable snapshot`);
    return model;
  }

  /** blobs/<etag> of a repo; the etag is checked to be a bare hash. */
  blobPath(id: string, etag: string): string {
    if (!ETAG.test(etag)) throw new HearthError('invalid_request', `invalid blob name "${printable(etag)}"`);
    return join(this.repoDir(id), 'blobs', etag);
  }

  /**
   * Creates blobs/ and snapshots/. An empty snapshots/ keeps huggingface_hub's scan_cache_dir
   * happy with a repo whose first pull was interrupted (it reports a repo without one as corrupted).
   */
  async ensureRepo(id: string): Promise<string> {
    const repo = this.repoDir(id);
    await mkdir(join(repo, 'blobs'), { recursive: true });
    await mkdir(join(repo, 'snapshots'), { recursive: true });
    return repo;
  }

  /**
   * Links verified blobs into snapshots/<commit> and, when `ref` is a branch or tag, points
   * refs/<ref> at the commit — huggingface_hub's layout (relative links to ../../blobs/<etag>,
   * a ref file holding the bare commit). A new snapshot is staged beside and renamed into
   * place, so it appears complete or not at all; into an existing snapshot (an earlier pull
   * of other files, or huggingface_hub's) each link is replaced atomically. The ref is
   * written last, by rename, so no reader sees a ref to a missing or partial snapshot.
   */
  async commitSnapshot(id: string, commit: string, files: readonly SnapshotFile[], ref?: string): Promise<string> {
    if (!COMMIT.test(commit)) throw new HearthError('invalid_request', `invalid commit "${printable(commit)}"`);
    if (ref !== undefined && ref !== commit) assertRevision(ref);
    const repo = this.repoDir(id);
    for (const file of files) {
      if (!isSafeRepoPath(file.path)) throw new HearthError('invalid_request', `invalid file path "${printable(file.path)}"`);
      await stat(this.blobPath(id, file.etag)); // throws ENOENT before any link points at nothing
    }
    const snapshots = join(repo, 'snapshots');
    const snapshot = join(snapshots, commit);
    await mkdir(snapshots, { recursive: true });
    let staged = false;
    if (!(await exists(snapshot))) {
      // Same depth as snapshots/<commit>, so the relative links stay valid after the rename.
      const stagingRoot = join(repo, '.hearth-staging');
      const staging = join(stagingRoot, `${commit}.${randomUUID().slice(0, 8)}`);
      try {
        await mkdir(staging, { recursive: true });
        for (const file of files) await linkBlob(staging, file, repo);
        await rename(staging, snapshot);
        staged = true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        // Someone else created the snapshot meanwhile: add our links to theirs.
      } finally {
        await rm(staging, { recursive: true, force: true });
        await rmdir(stagingRoot).catch(() => {});
      }
    }
    if (!staged) for (const file of files) await linkBlob(snapshot, file, repo);
    if (ref !== undefined && ref !== commit) await writeRef(repo, ref, commit);
    return snapshot;
  }

  /** Removes models--org--name with every snapshot, ref and blob (and huggingface_hub's lock folder). */
  async delete(id: string): Promise<boolean> {
    const repo = this.repoDir(id);
    if (!(await exists(repo))) return false;
    await rm(repo, { recursive: true, force: true });
    await rm(join(this.hubDir, '.locks', repoFolderName(id)), { recursive: true, force: true });
    return true;
  }

  private async inside(path: string): Promise<string> {
    const [real, root] = await Promise.all([realpath(path), realpath(this.hubDir)]);
    if (real !== root && !real.startsWith(root + sep)) throw new HearthError('invalid_request', 'path escapes the model cache');
    return real;
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(join(dir, rel)).then((s) => s.isFile(), () => false)))) out.push(rel);
  }
  return out.sort();
}

/** snapshotDir/<path> → relative link to repo/blobs/<etag>; an existing right link is kept, a wrong one replaced atomically. */
async function linkBlob(snapshotDir: string, file: SnapshotFile, repo: string): Promise<void> {
  const link = join(snapshotDir, file.path);
  const target = relative(dirname(link), join(repo, 'blobs', file.etag));
  if ((await readlink(link).catch(() => undefined)) === target) return;
  await mkdir(dirname(link), { recursive: true });
  const tmp = `${link}.${randomUUID().slice(0, 8)}.tmp`;
  await symlink(target, tmp);
  try {
    await rename(tmp, link);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** refs/<ref> holds the bare commit (no newline: scan_cache_dir compares it as read). */
async function writeRef(repo: string, ref: string, commit: string): Promise<void> {
  const path = join(repo, 'refs', ref);
  if ((await readFile(path, 'utf8').catch(() => undefined)) === commit) return;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(tmp, commit);
  await rename(tmp, path);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A stable 40-hex "commit" for an imported folder with no hub revision: same content, same snapshot. */
function contentCommit(hashes: Map<string, string>): string {
  const h = createHash('sha1');
  for (const [file, hash] of [...hashes].sort(([a], [b]) => a.localeCompare(b))) h.update(`${file}\0${hash}\n`);
  return h.digest('hex');
}
