import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HubClient } from '../../src/models/hub.js';
import { ModelPuller } from '../../src/models/pull.js';
import { ModelStore } from '../../src/models/store.js';
import { FakeHub } from '../helpers/fake-hub.js';
import { PYTHON, ROOT } from '../helpers/paths.js';

/**
 * Hearth and Python huggingface_hub (the venv's, 2.4.0) share one cache, both ways, against a
 * fake hub on 127.0.0.1: a Hearth pull is a cache huggingface_hub scans, resolves offline and
 * does not download again; a huggingface_hub download is a cache Hearth lists and pulls from
 * without a byte of download. The repo is synthetic (no real weights needed).
 */

const ID = 'interop-org/tiny-embedder';
const SCRIPT = join(ROOT, 'test', 'python', 'hub_interop.py');

const REPO: Record<string, string | Buffer> = {
  '.gitattributes': '*.onnx filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n',
  'README.md': '---\nlicense: apache-2.0\n---\n# tiny\n',
  'config.json': '{"hidden_size": 8, "model_type": "bert"}',
  'tokenizer.json': '{"version": "1.0", "model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2}}}',
  'tokenizer_config.json': '{"do_lower_case": true}',
  'special_tokens_map.json': '{"cls_token": "[CLS]", "sep_token": "[SEP]"}',
  'vocab.txt': '[UNK]\n[CLS]\n[SEP]\n',
  'modules.json': '[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]',
  'sentence_bert_config.json': '{"max_seq_length": 128}',
  '1_Pooling/config.json': '{"pooling_mode_mean_tokens": true}',
  'onnx/model.onnx': randomBytes(300 * 1024),
  'onnx/model_fp16.onnx': randomBytes(20 * 1024),
  'model.safetensors': randomBytes(4 * 1024),
  // LFS by size (≥ 10 MB) rather than by extension.
  'extra/large.txt': randomBytes(10 * 1024 * 1024 + 123),
};
const RUNNABLE = ['1_Pooling/config.json', 'config.json', 'modules.json', 'onnx/model.onnx', 'sentence_bert_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'];
const ALL = Object.keys(REPO).sort();

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

let hub: FakeHub;
let hfHome: string;
let store: ModelStore;

function python(command: 'inspect' | 'download', ...args: string[]): Promise<Record<string, any>> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (/^(HF_|HUGGING_FACE_|HUGGINGFACE_|TRANSFORMERS_OFFLINE)/.test(key)) delete env[key];
  Object.assign(env, {
    HF_HOME: hfHome,
    HF_ENDPOINT: hub.url,
    HF_HUB_DISABLE_TELEMETRY: '1',
    HF_HUB_DISABLE_XET: '1',
    HF_HUB_DISABLE_PROGRESS_BARS: '1',
    NO_PROXY: '127.0.0.1',
  });
  return promisify(execFile)(PYTHON, [SCRIPT, command, ID, ...args], { env, maxBuffer: 16 << 20 }).then(({ stdout }) => JSON.parse(stdout) as Record<string, any>);
}

const puller = (retries = 3) => new ModelPuller({ store, hub: new HubClient({ endpoint: hub.url }), retries, retryDelayMs: 0 });

beforeAll(async () => {
  hub = await FakeHub.start({ [ID]: { files: REPO } });
});

afterAll(async () => {
  await hub.close();
});

beforeEach(async () => {
  hfHome = await realpath(await mkdtemp(join(tmpdir(), 'hearth-interop-')));
  store = new ModelStore(join(hfHome, 'hub'));
  return () => rm(hfHome, { recursive: true, force: true });
});

describe('Hearth pull → huggingface_hub', () => {
  it('is a cache scan_cache_dir lists exactly and snapshot_download(local_files_only) resolves', async () => {
    const model = await puller().pull(ID);
    const commit = hub.commitOf(ID);
    expect(model.files).toEqual(RUNNABLE);

    const seen = await python('inspect');
    expect(seen.cache_dir).toBe(join(hfHome, 'hub'));
    expect(seen.warnings).toEqual([]);
    expect(seen.repos).toHaveLength(1);
    const [repo] = seen.repos;
    const blobSizes = new Map(RUNNABLE.map((f) => [hub.etagOf(ID, f), Buffer.byteLength(REPO[f]!)]));
    expect(repo).toMatchObject({ repo_id: ID, repo_type: 'model', refs: ['main'], nb_files: blobSizes.size });
    expect(repo.size_on_disk).toBe([...blobSizes.values()].reduce((a, b) => a + b, 0));
    expect(repo.revisions).toHaveLength(1);
    expect(repo.revisions[0]).toMatchObject({ commit_hash: commit, refs: ['main'], nb_files: blobSizes.size });
    expect(repo.revisions[0].files).toEqual(RUNNABLE.map((path) => ({ path, size_on_disk: Buffer.byteLength(REPO[path]!), blob: hub.etagOf(ID, path) })));

    expect(seen.snapshot.path).toBe(model.snapshotDir);
    expect(seen.snapshot.files).toEqual(Object.fromEntries(RUNNABLE.map((f) => [f, sha256(REPO[f]!)])));
  });

  it('is not downloaded again by snapshot_download from the hub', async () => {
    await puller().pull(ID);
    const before = hub.requests.length;
    const out = await python('download', ...RUNNABLE);
    expect(out.endpoint).toBe(hub.url);
    const requests = hub.requests.slice(before);
    expect(requests.filter((r) => r.path.includes('/resolve/') || r.path.startsWith('/lfs/'))).toEqual([]);
    expect(requests.map((r) => r.path)).toContain(`/api/models/${ID}/revision/main`);
  });

  it('after an interrupted pull, still scans cleanly, and huggingface_hub can finish the job', async () => {
    hub.fault(ID, 'onnx/model.onnx', { cutAfter: 100_000 });
    await expect(puller(0).pull(ID)).rejects.toMatchObject({ code: 'pull_failed' });
    const seen = await python('inspect');
    expect(seen.warnings).toEqual([]);
    expect(seen.repos).toMatchObject([{ repo_id: ID, refs: [], revisions: [] }]);
    expect(seen.snapshot.error).toMatch(/^LocalEntryNotFoundError/);

    await python('download', ...RUNNABLE);
    const after = await python('inspect', ...RUNNABLE);
    expect(after.warnings).toEqual([]);
    expect(after.repos[0].revisions[0].files.map((f: { path: string }) => f.path)).toEqual(RUNNABLE);
    // Hearth then finds every blob present and drops its own stale partial file.
    const before = hub.downloads().length;
    await puller().pull(ID);
    expect(hub.downloads().length).toBe(before);
    expect((await readdir(join(store.repoDir(ID), 'blobs'))).filter((b) => b.endsWith('.incomplete'))).toEqual([]);
  });
});

describe('huggingface_hub download → Hearth', () => {
  it('is a cache ModelStore lists and describes, and that ModelPuller.pull does not download again', async () => {
    const out = await python('download');
    const commit = hub.commitOf(ID);
    expect(out.path).toBe(join(hfHome, 'hub', `models--${ID.replace('/', '--')}`, 'snapshots', commit));

    const listed = await store.list();
    expect(listed.map((m) => m.id)).toEqual([ID]);
    const described = await store.describe(ID);
    expect(described).toMatchObject({ id: ID, revision: commit, files: ALL, snapshotDir: out.path });
    expect(described!.sizeBytes).toBe(ALL.reduce((n, f) => n + Buffer.byteLength(REPO[f]!), 0));
    expect(await store.resolveComplete(ID, 'main', RUNNABLE)).toBe(out.path);
    expect(await readFile(join(store.repoDir(ID), 'refs', 'main'), 'utf8')).toBe(commit);

    const linksBefore = await readlink(join(out.path, 'onnx', 'model.onnx'));
    const before = hub.requests.length;
    const model = await puller().pull(ID);
    const manifestStyle = await puller().pull(ID, { files: ['config.json', 'onnx/model_fp16.onnx', 'model.safetensors'] });
    const requests = hub.requests.slice(before);
    expect(requests.map((r) => r.path)).toEqual([`/api/models/${ID}/revision/main`, `/api/models/${ID}/revision/main`]);
    expect(model.snapshotDir).toBe(out.path);
    expect(model.files).toEqual(ALL);
    expect(manifestStyle.snapshotDir).toBe(out.path);
    expect(await readlink(join(out.path, 'onnx', 'model.onnx'))).toBe(linksBefore);
    expect((await lstat(join(out.path, 'onnx', 'model.onnx'))).isSymbolicLink()).toBe(true);
  });
});
