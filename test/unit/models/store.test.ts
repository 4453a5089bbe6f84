import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HearthError } from '../../../src/lib/errors.js';
import { ModelStore } from '../../../src/models/store.js';

const ID = 'org/tiny-model';
const REPO = 'models--org--tiny-model';
const COMMIT = /^[0-9a-f]{40}$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** A small fake model folder; tokenizer_config.json repeats tokenizer.json's bytes on purpose. */
const MODEL_FILES: Record<string, string | Buffer> = {
  'config.json': '{"hidden_size": 4}',
  'tokenizer.json': '{}',
  'tokenizer_config.json': '{}',
  'onnx/model.onnx': Buffer.from([0x08, 0x07, 0x12, 0x00, 0xff, 0x10, 0x20, 0x30]),
  '1_Pooling/config.json': '{"pooling_mode_mean_tokens": true}',
};
const VISIBLE = Object.keys(MODEL_FILES).sort();

let root: string;
let hub: string;
let store: ModelStore;

async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), content);
  }
  return dir;
}

async function fakeModel(name = 'src', files: Record<string, string | Buffer> = MODEL_FILES): Promise<string> {
  return writeTree(join(root, name), files);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'hearth-store-')));
  hub = join(root, 'hub');
  store = new ModelStore(hub);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ModelStore.importDir', () => {
  it('writes blobs/<sha256>, relative snapshot symlinks and refs/main', async () => {
    const src = await fakeModel();
    await writeTree(src, { '.git/config': '[core]', '.gitattributes': '*.onnx filter=lfs' });
    const model = await store.importDir(src, ID);

    const repo = join(hub, REPO);
    const commit = (await readFile(join(repo, 'refs', 'main'), 'utf8')).trim();
    expect(commit).toMatch(COMMIT);
    expect(model).toMatchObject({ id: ID, revision: commit, snapshotDir: join(repo, 'snapshots', commit), files: VISIBLE });
    expect(model.sizeBytes).toBe(Object.values(MODEL_FILES).reduce((sum, c) => sum + Buffer.byteLength(c), 0));
    expect(model.modifiedAt).toBeInstanceOf(Date);

    const uniqueHashes = new Set(Object.values(MODEL_FILES).map(sha256));
    expect((await readdir(join(repo, 'blobs'))).sort()).toEqual([...uniqueHashes].sort());
    expect(await readdir(join(repo, 'snapshots'))).toEqual([commit]);

    for (const [file, content] of Object.entries(MODEL_FILES)) {
      const link = join(repo, 'snapshots', commit, file);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      const target = await readlink(link);
      expect(isAbsolute(target)).toBe(false);
      expect(resolve(dirname(link), target)).toBe(join(repo, 'blobs', sha256(content)));
      expect(await readFile(link)).toEqual(Buffer.from(content));
    }
    // Hidden files stay out.
    await expect(lstat(join(repo, 'snapshots', commit, '.git'))).rejects.toThrow();
    await expect(lstat(join(repo, 'snapshots', commit, '.gitattributes'))).rejects.toThrow();
  });

  it('gives the same commit for the same content and never duplicates blobs', async () => {
    const first = await store.importDir(await fakeModel('one'), ID);
    const blobs = (await readdir(join(hub, REPO, 'blobs'))).sort();
    const second = await store.importDir(await fakeModel('two'), ID);
    expect(second.revision).toBe(first.revision);
    expect((await readdir(join(hub, REPO, 'blobs'))).sort()).toEqual(blobs);
    expect(await readdir(join(hub, REPO, 'snapshots'))).toEqual([first.revision]);
    expect(second.files).toEqual(VISIBLE);
  });

  it('changed content makes a new snapshot that shares unchanged blobs and moves refs/main', async () => {
    const first = await store.importDir(await fakeModel('one'), ID);
    const changed = await store.importDir(await fakeModel('two', { ...MODEL_FILES, 'config.json': '{"hidden_size": 8}' }), ID);
    expect(changed.revision).toMatch(COMMIT);
    expect(changed.revision).not.toBe(first.revision);
    expect((await readFile(join(hub, REPO, 'refs', 'main'), 'utf8')).trim()).toBe(changed.revision);
    expect((await readdir(join(hub, REPO, 'snapshots'))).sort()).toEqual([first.revision, changed.revision].sort());
    expect(await readdir(join(hub, REPO, 'blobs'))).toHaveLength(new Set(Object.values(MODEL_FILES).map(sha256)).size + 1);
  });

  it('uses an explicit 40-hex revision as the snapshot name', async () => {
    const revision = 'a'.repeat(40);
    const model = await store.importDir(await fakeModel(), ID, revision);
    expect(model.revision).toBe(revision);
    expect(model.snapshotDir).toBe(join(hub, REPO, 'snapshots', revision));
    expect((await readFile(join(hub, REPO, 'refs', 'main'), 'utf8')).trim()).toBe(revision);
  });

  it('refuses an empty folder, or one holding only hidden files', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    const error = await rejection(store.importDir(empty, ID));
    expect(error).toBeInstanceOf(HearthError);
    expect((error as HearthError).code).toBe('invalid_request');

    const hidden = await writeTree(join(root, 'hidden'), { '.git/HEAD': 'ref: main', '.env': 'X=1' });
    await expect(store.importDir(hidden, ID)).rejects.toThrow(HearthError);
    expect(await store.list()).toEqual([]);
  });

  it('refuses a hostile id before touching the disk', async () => {
    const src = await fakeModel();
    await expect(store.importDir(src, '../../evil')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(lstat(hub)).rejects.toThrow();
  });
});

describe('ModelStore lookups', () => {
  it('snapshotDir resolves main, a commit, and gives undefined for what is not on disk', async () => {
    const model = await store.importDir(await fakeModel(), ID);
    expect(await store.snapshotDir(ID)).toBe(model.snapshotDir);
    expect(await store.snapshotDir(ID, 'main')).toBe(model.snapshotDir);
    expect(await store.snapshotDir(ID, model.revision)).toBe(model.snapshotDir);
    expect(await store.snapshotDir(ID, 'b'.repeat(40))).toBeUndefined();
    expect(await store.snapshotDir(ID, 'v2.0')).toBeUndefined();
    expect(await store.snapshotDir('org/other')).toBeUndefined();
  });

  it('snapshotDir rejects hostile revisions and ids', async () => {
    await store.importDir(await fakeModel(), ID);
    for (const revision of ['../../../etc', 'refs/../main', '.hidden', '', 'a b']) {
      await expect(store.snapshotDir(ID, revision)).rejects.toMatchObject({ code: 'invalid_request' });
    }
    await expect(store.snapshotDir('../x')).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('snapshotDir treats a corrupt refs/main as missing', async () => {
    await store.importDir(await fakeModel(), ID);
    await writeFile(join(hub, REPO, 'refs', 'main'), '../../../../etc');
    expect(await store.snapshotDir(ID)).toBeUndefined();
  });

  it('resolveComplete needs every listed file', async () => {
    const model = await store.importDir(await fakeModel(), ID);
    expect(await store.resolveComplete(ID, 'main', ['config.json', 'onnx/model.onnx', '1_Pooling/config.json'])).toBe(model.snapshotDir);
    expect(await store.resolveComplete(ID, 'main', [])).toBe(model.snapshotDir);
    expect(await store.resolveComplete(ID, 'main', ['config.json', 'onnx/model_quantized.onnx'])).toBeUndefined();

    await unlink(join(model.snapshotDir, 'onnx', 'model.onnx'));
    expect(await store.resolveComplete(ID, 'main', ['onnx/model.onnx'])).toBeUndefined();
  });

  it('resolveComplete treats a dangling snapshot link (blob gone) as missing', async () => {
    const model = await store.importDir(await fakeModel(), ID);
    await rm(join(hub, REPO, 'blobs', sha256(MODEL_FILES['onnx/model.onnx']!)));
    expect(await store.resolveComplete(ID, 'main', ['onnx/model.onnx'])).toBeUndefined();
    expect(await store.resolveComplete(ID, 'main', ['config.json'])).toBe(model.snapshotDir);
  });

  it('resolveComplete prefers a pinned revision on disk and falls back to refs/main otherwise', async () => {
    const pinned = 'c'.repeat(40);
    const old = await store.importDir(await fakeModel('old', { ...MODEL_FILES, 'extra.txt': 'only in the pinned one' }), ID, pinned);
    const main = await store.importDir(await fakeModel('new'), ID);
    expect(main.revision).not.toBe(pinned);

    expect(await store.resolveComplete(ID, pinned, ['config.json'])).toBe(old.snapshotDir);
    // Not on disk → main.
    expect(await store.resolveComplete(ID, 'd'.repeat(40), ['config.json'])).toBe(main.snapshotDir);
    // On disk but incomplete → main, when main has the files.
    await unlink(join(old.snapshotDir, 'config.json'));
    expect(await store.resolveComplete(ID, pinned, ['config.json'])).toBe(main.snapshotDir);
    // Neither has it → undefined.
    expect(await store.resolveComplete(ID, pinned, ['missing.bin'])).toBeUndefined();
  });

  it('filePath returns the real blob path, undefined for missing files, and throws on ../ escapes', async () => {
    const model = await store.importDir(await fakeModel(), ID);
    const dir = model.snapshotDir;
    expect(await store.filePath(dir, 'onnx/model.onnx')).toBe(join(hub, REPO, 'blobs', sha256(MODEL_FILES['onnx/model.onnx']!)));
    expect(await store.filePath(dir, 'onnx/../config.json')).toBe(join(hub, REPO, 'blobs', sha256(MODEL_FILES['config.json']!)));
    expect(await store.filePath(dir, 'nope.bin')).toBeUndefined();

    for (const escape of ['../x', '../../../../../../etc/passwd', 'onnx/../../other', '..']) {
      await expect(store.filePath(dir, escape)).rejects.toBeInstanceOf(HearthError);
    }
    // An absolute name is taken relative to the snapshot, never as itself.
    const absolute = await store.filePath(dir, '/etc/passwd').catch(() => undefined);
    expect(absolute).toBeUndefined();
  });

  it('never returns a path outside the cache for a symlink that points out of it', async () => {
    const model = await store.importDir(await fakeModel(), ID);
    const outside = await writeTree(join(root, 'outside'), { 'secret.txt': 'top secret' });
    await symlink(join(outside, 'secret.txt'), join(model.snapshotDir, 'evil.txt'));
    await symlink(outside, join(model.snapshotDir, 'evil-dir'));
    await symlink('../../../../outside/secret.txt', join(model.snapshotDir, 'evil-relative.txt'));

    for (const file of ['evil.txt', 'evil-dir/secret.txt', 'evil-relative.txt']) {
      const result = await store.filePath(model.snapshotDir, file).catch((e: unknown) => e);
      if (typeof result === 'string') throw new Error(`filePath returned ${result} for ${file}`);
      expect(result === undefined || result instanceof Error).toBe(true);
    }
    expect(await store.resolveComplete(ID, 'main', ['config.json', 'evil.txt'])).toBeUndefined();
  });

  it('snapshotDir gives undefined when the snapshot folder itself links out of the cache', async () => {
    const outside = await writeTree(join(root, 'outside'), { 'config.json': '{}' });
    const commit = 'e'.repeat(40);
    await mkdir(join(hub, REPO, 'snapshots'), { recursive: true });
    await mkdir(join(hub, REPO, 'refs'), { recursive: true });
    await symlink(outside, join(hub, REPO, 'snapshots', commit));
    await writeFile(join(hub, REPO, 'refs', 'main'), commit);
    expect(await store.snapshotDir(ID)).toBeUndefined();
    expect(await store.resolveComplete(ID, 'main', ['config.json'])).toBeUndefined();
  });
});

describe('ModelStore.describe and list', () => {
  it('describe reports the snapshot, files and total size; undefined when absent', async () => {
    const model = await store.importDir(await fakeModel(), ID);
    expect(await store.describe(ID)).toEqual(model);
    expect(await store.describe(ID, model.revision)).toMatchObject({ revision: model.revision, files: VISIBLE });
    expect(await store.describe('org/absent')).toBeUndefined();
  });

  it('describe falls back to the only snapshot when refs/main is missing', async () => {
    const model = await store.importDir(await fakeModel(), ID);
    await rm(join(hub, REPO, 'refs', 'main'));
    expect(await store.describe(ID)).toMatchObject({ revision: model.revision, snapshotDir: model.snapshotDir });
  });

  it('list returns every cached model sorted, skipping folders that are not models', async () => {
    expect(await store.list()).toEqual([]); // hub folder does not exist yet
    await store.importDir(await fakeModel('b'), 'zeta/model-b');
    await store.importDir(await fakeModel('a'), 'alpha/model-a');
    await mkdir(join(hub, 'models--broken'), { recursive: true });
    await mkdir(join(hub, 'models--a--b--c'), { recursive: true });
    await mkdir(join(hub, 'models--empty--repo'), { recursive: true });
    await mkdir(join(hub, 'datasets--x--y'), { recursive: true });
    await writeFile(join(hub, 'version.txt'), '1');

    const listed = await store.list();
    expect(listed.map((m) => m.id)).toEqual(['alpha/model-a', 'zeta/model-b']);
    for (const m of listed) {
      expect(m.files).toEqual(VISIBLE);
      expect(m.revision).toMatch(COMMIT);
    }
  });
});
