import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { HearthError } from '../lib/errors.js';
import { assertRepoId, repoFolderName } from './model-id.js';

const COMMIT = /^[0-9a-f]{40}$/;
const REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

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
