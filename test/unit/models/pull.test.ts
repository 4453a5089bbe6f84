import { randomBytes } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HearthError } from '../../../src/lib/errors.js';
import type { OpenSink } from '../../../src/models/blob-fetch.js';
import { HubClient } from '../../../src/models/hub.js';
import { ModelPuller, type PullProgress } from '../../../src/models/pull.js';
import { ModelStore } from '../../../src/models/store.js';
import { FakeHub } from '../../helpers/fake-hub.js';

const ID = 'org/tiny';
const ONNX = 'onnx/model.onnx';
const ONNX_SIZE = 200 * 1024;

/** What the recognisable-subset rule should pick from TINY. */
const RUNNABLE = [
  '1_Pooling/config.json',
  'config.json',
  'config_sentence_transformers.json',
  'modules.json',
  ONNX,
  'sentence_bert_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
];

const TINY: Record<string, string | Buffer> = {
  '.gitattributes': '*.onnx filter=lfs diff=lfs merge=lfs -text\n',
  'README.md': '# tiny\n',
  'config.json': '{"hidden_size": 4, "model_type": "bert"}',
  'config_sentence_transformers.json': '{"__version__": {"sentence_transformers": "3.0.0"}}',
  'modules.json': '[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]',
  'sentence_bert_config.json': '{"max_seq_length": 128, "do_lower_case": false}',
  'special_tokens_map.json': '{"cls_token": "[CLS]"}',
  'tokenizer.json': JSON.stringify({ version: '1.0', model: { type: 'WordPiece', vocab: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`tok${i}`, i])) } }),
  'tokenizer_config.json': '{"do_lower_case": true}',
  'vocab.txt': Array.from({ length: 300 }, (_, i) => `tok${i}`).join('\n'),
  '1_Pooling/config.json': '{"pooling_mode_mean_tokens": true}',
  [ONNX]: randomBytes(ONNX_SIZE),
  'onnx/model_quantized.onnx': randomBytes(1000),
  'onnx/model_fp16.onnx': randomBytes(1000),
  'model.safetensors': randomBytes(2000),
  'pytorch_model.bin': randomBytes(2000),
  'tf_model.h5': randomBytes(100),
};

let root: string;
let hubDir: string;
let store: ModelStore;
let hub: FakeHub;

async function startHub(extra: Record<string, Parameters<typeof FakeHub.start>[0][string]> = {}): Promise<FakeHub> {
  hub = await FakeHub.start({ [ID]: { files: TINY }, ...extra });
  return hub;
}

function puller(options: Partial<ConstructorParameters<typeof ModelPuller>[0]> & { token?: string } = {}): ModelPuller {
  const { token, ...rest } = options;
  return new ModelPuller({
    store,
    hub: new HubClient({ endpoint: hub.url, ...(token ? { token } : {}) }),
    retryDelayMs: 0,
    ...rest,
  });
}

const repoDir = (id = ID) => join(hubDir, `models--${id.replace('/', '--')}`);
const exists = (path: string) => lstat(path).then(() => true, () => false);

async function rejection(promise: Promise<unknown>): Promise<HearthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  return error as HearthError;
}

/** Nothing of a snapshot or ref exists, whatever blobs may. */
async function expectNoSnapshot(id = ID): Promise<void> {
  expect(await readdir(join(repoDir(id), 'snapshots')).catch(() => [])).toEqual([]);
  expect(await exists(join(repoDir(id), 'refs'))).toBe(false);
}

/** Buffer.equals: vitest's deep equality walks a Buffer byte by byte (hundreds of ms for 200 KB). */
async function expectBytes(path: string, expected: string | Buffer | undefined): Promise<void> {
  expect((await readFile(path)).equals(Buffer.from(expected!))).toBe(true);
}

function collect(): { events: PullProgress[]; onProgress: (p: PullProgress) => void } {
  const events: PullProgress[] = [];
  return { events, onProgress: (p) => events.push(p) };
}

/** Resolves once the pull has written some bytes of a file. */
function whenBytes(events: PullProgress[], digest: string, min = 1): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (events.some((e) => e.digest === digest && (e.completed ?? 0) >= min) ? resolve() : setTimeout(poll, 5));
    poll();
  });
}

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'hearth-pull-')));
  hubDir = join(root, 'hub');
  store = new ModelStore(hubDir);
});

afterEach(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

describe('ModelPuller.pull', () => {
  it("writes huggingface_hub's exact layout: blobs by etag, relative snapshot links, refs/main", async () => {
    await startHub();
    const { events, onProgress } = collect();
    const model = await puller().pull(ID, { onProgress });
    const commit = hub.commitOf(ID);

    expect(await readFile(join(repoDir(), 'refs', 'main'), 'utf8')).toBe(commit); // bare, no newline
    expect(model).toMatchObject({ id: ID, revision: commit, files: RUNNABLE });
    const snapshot = join(repoDir(), 'snapshots', commit);
    for (const file of RUNNABLE) {
      const etag = hub.etagOf(ID, file);
      expect(etag).toMatch(hub.file(ID, file).lfs ? /^[0-9a-f]{64}$/ : /^[0-9a-f]{40}$/);
      const depth = file.split('/').length + 1;
      expect(await readlink(join(snapshot, file))).toBe(`${'../'.repeat(depth)}blobs/${etag}`);
      await expectBytes(join(snapshot, file), Buffer.from(TINY[file]!));
    }
    const blobs = (await readdir(join(repoDir(), 'blobs'))).sort();
    expect(blobs).toEqual([...new Set(RUNNABLE.map((f) => hub.etagOf(ID, f)))].sort());
    expect(await readdir(repoDir())).toEqual(['blobs', 'refs', 'snapshots']);

    // Only the chosen files were fetched, each once; the listing was asked with blobs=true.
    const fetched = hub.downloads().filter((r) => r.method === 'GET' && r.path.includes('/resolve/'));
    expect(fetched.map((r) => decodeURIComponent(r.path.split(`/resolve/${commit}/`)[1]!)).sort()).toEqual(RUNNABLE);

    const statuses = events.map((e) => e.status);
    expect(statuses[0]).toBe('pulling manifest');
    expect(statuses.slice(-3)).toEqual(['verifying sha256 digest', 'writing manifest', 'success']);
    const onnxDigest = `sha256:${hub.etagOf(ID, ONNX)}`;
    const onnxEvents = events.filter((e) => e.digest === onnxDigest);
    expect(onnxEvents[0]!.status).toBe(`pulling ${hub.etagOf(ID, ONNX).slice(0, 12)}`);
    expect(onnxEvents.at(-1)).toMatchObject({ total: ONNX_SIZE, completed: ONNX_SIZE });
    expect(events.find((e) => e.digest === `sha1:${hub.etagOf(ID, 'config.json')}`)).toBeDefined();
  });

  it('downloads nothing the second time and reports every file complete', async () => {
    await startHub();
    await puller().pull(ID);
    const before = hub.requests.length;
    const { events, onProgress } = collect();
    const again = await puller().pull(ID, { onProgress });
    const after = hub.requests.slice(before);
    expect(after.map((r) => r.path)).toEqual([`/api/models/${ID}/revision/main`]);
    expect(again.files).toEqual(RUNNABLE);
    const finals = events.filter((e) => e.digest);
    expect(finals.every((e) => e.completed === e.total)).toBe(true);
    expect(new Set(finals.map((e) => e.digest)).size).toBe(new Set(RUNNABLE.map((f) => hub.etagOf(ID, f))).size);
  });

  it('writes no ref when the revision is a commit (like huggingface_hub)', async () => {
    await startHub();
    const commit = hub.commitOf(ID);
    const model = await puller().pull(ID, { revision: commit, files: ['config.json', ONNX] });
    expect(model.revision).toBe(commit);
    expect(await exists(join(repoDir(), 'refs'))).toBe(false);
    expect(await readdir(join(repoDir(), 'snapshots', commit), { recursive: true })).toEqual(expect.arrayContaining(['config.json', ONNX]));
  });

  it('adds files to an existing snapshot without touching what is there', async () => {
    await startHub();
    const first = await puller().pull(ID, { files: ['config.json'] });
    const link = await readlink(join(first.snapshotDir, 'config.json'));
    const full = await puller().pull(ID);
    expect(full.snapshotDir).toBe(first.snapshotDir);
    expect(full.files).toEqual(RUNNABLE);
    expect(await readlink(join(full.snapshotDir, 'config.json'))).toBe(link);
    expect(hub.count((r) => r.path.endsWith('/config.json') && !r.path.includes('1_Pooling'))).toBe(1);
  });

  it('downloads a blob once when pulls of different revisions need it at the same time', async () => {
    await startHub();
    hub.fault(ID, ONNX, { dripBytes: 50 * 1024, dripMs: 10 });
    const p = puller();
    const [byBranch, byCommit] = await Promise.all([p.pull(ID), p.pull(ID, { revision: hub.commitOf(ID), files: [ONNX] })]);
    expect(byCommit.snapshotDir).toBe(byBranch.snapshotDir);
    expect(hub.contentRequests(ID, ONNX)).toHaveLength(1);
  });

  it('shares one download between concurrent pulls; both get progress and the result', async () => {
    await startHub();
    hub.fault(ID, ONNX, { dripBytes: 32 * 1024, dripMs: 10 });
    const p = puller();
    const a = collect();
    const b = collect();
    const [ma, mb] = await Promise.all([p.pull(ID, { onProgress: a.onProgress }), p.pull(ID, { onProgress: b.onProgress })]);
    expect(ma).toEqual(mb);
    expect(hub.contentRequests(ID, ONNX)).toHaveLength(1);
    expect(hub.count((r) => r.path.includes('/revision/'))).toBe(1);
    const digest = `sha256:${hub.etagOf(ID, ONNX)}`;
    for (const { events } of [a, b]) {
      expect(events.filter((e) => e.digest === digest).at(-1)).toMatchObject({ completed: ONNX_SIZE, total: ONNX_SIZE });
      expect(events.at(-1)!.status).toBe('success');
    }
  });

  it('throttles progress to about 10 events a second per file, final event included', async () => {
    await startHub();
    hub.fault(ID, ONNX, { dripBytes: 4 * 1024, dripMs: 3 }); // 50 chunks over ≥ 150 ms
    const { events, onProgress } = collect();
    const started = Date.now();
    await puller({ progressIntervalMs: 50 }).pull(ID, { onProgress });
    const elapsed = Date.now() - started;
    const onnx = events.filter((e) => e.digest === `sha256:${hub.etagOf(ID, ONNX)}`);
    expect(onnx.length).toBeGreaterThanOrEqual(2);
    expect(onnx.length).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 2);
    expect(onnx.length).toBeLessThan(20);
    expect(onnx.at(-1)!.completed).toBe(ONNX_SIZE);
  });

  it('fails cleanly when the connection is cut, then resumes the file with a Range request', async () => {
    await startHub();
    hub.fault(ID, ONNX, { cutAfter: 120_000 });
    const error = await rejection(puller({ retries: 0 }).pull(ID));
    expect(error).toBeInstanceOf(HearthError);
    expect(error.code).toBe('pull_failed');
    expect(error.message).toMatch(/interrupted.*pull again to resume/);
    await expectNoSnapshot();
    const partial = join(repoDir(), 'blobs', `${hub.etagOf(ID, ONNX)}.incomplete`);
    expect((await stat(partial)).size).toBe(120_000);

    const model = await puller({ retries: 0 }).pull(ID);
    expect(model.files).toEqual(RUNNABLE);
    const requests = hub.contentRequests(ID, ONNX);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatchObject({ range: 'bytes=120000-', status: 206, bytes: ONNX_SIZE - 120_000 });
    expect(requests.reduce((n, r) => n + r.bytes, 0)).toBeLessThan(2 * ONNX_SIZE);
    expect(await exists(partial)).toBe(false);
    await expectBytes(join(model.snapshotDir, ONNX), TINY[ONNX]);
  });

  it('retries a cut connection by itself, resuming where it stopped', async () => {
    await startHub();
    hub.fault(ID, ONNX, { cutAfter: 50_000 });
    const model = await puller().pull(ID);
    await expectBytes(join(model.snapshotDir, ONNX), TINY[ONNX]);
    expect(hub.contentRequests(ID, ONNX).map((r) => r.status)).toEqual([200, 206]);
  });

  it('starts the file over when the hub ignores the Range request', async () => {
    await startHub();
    hub.fault(ID, ONNX, { cutAfter: 80_000 });
    await rejection(puller({ retries: 0 }).pull(ID));
    hub.fault(ID, ONNX, { ignoreRange: true });
    const model = await puller({ retries: 0 }).pull(ID);
    await expectBytes(join(model.snapshotDir, ONNX), TINY[ONNX]);
    expect(hub.contentRequests(ID, ONNX)[1]).toMatchObject({ range: 'bytes=80000-', status: 200, bytes: ONNX_SIZE });
  });

  it('fails a stalled download as resumable pull_failed', async () => {
    await startHub();
    hub.fault(ID, ONNX, { dripBytes: 10_000, dripMs: 400 });
    const error = await rejection(puller({ retries: 0, stallTimeoutMs: 100 }).pull(ID));
    expect(error.code).toBe('pull_failed');
    expect(error.message).toMatch(/stalled/);
    expect((await stat(join(repoDir(), 'blobs', `${hub.etagOf(ID, ONNX)}.incomplete`))).size).toBe(10_000);
    await expectNoSnapshot();
  });

  it('names blobs by the ETag header when the listing has no blob ids or sizes (and still verifies them)', async () => {
    await startHub();
    const bare: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes('/api/models/')) return res;
      const body = (await res.json()) as { siblings: Array<{ rfilename: string }> };
      body.siblings = body.siblings.map((s) => ({ rfilename: s.rfilename }));
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const p = new ModelPuller({ store, hub: new HubClient({ endpoint: hub.url, fetch: bare }), retryDelayMs: 0 });
    const model = await p.pull(ID);
    expect(model.files).toEqual(RUNNABLE);
    for (const file of RUNNABLE) expect(await readlink(join(model.snapshotDir, file))).toMatch(new RegExp(`blobs/${hub.etagOf(ID, file)}$`));
    const before = hub.count((r) => r.path.includes('/resolve/'));
    await p.pull(ID); // blob names known only from the response: asks, sees the blob, stops
    expect(hub.count((r) => r.path.includes('/resolve/')) - before).toBe(RUNNABLE.length);
    hub.fault(ID, 'config.json', { corrupt: true });
    await store.delete(ID);
    expect((await rejection(p.pull(ID))).message).toMatch(/config\.json.*failed verification/);
  });

  it('rejects corrupted bytes: pull_failed, no blob, no partial file, no snapshot', async () => {
    await startHub();
    hub.fault(ID, ONNX, { corrupt: true });
    const error = await rejection(puller().pull(ID));
    expect(error.code).toBe('pull_failed');
    expect(error.message).toMatch(/onnx\/model\.onnx.*failed verification/);
    await expectNoSnapshot();
    const blobs = await readdir(join(repoDir(), 'blobs'));
    expect(blobs.filter((b) => b.startsWith(hub.etagOf(ID, ONNX)))).toEqual([]);
    expect(hub.contentRequests(ID, ONNX)).toHaveLength(1); // not retried: the hub sent wrong bytes
  });

  it('keeps a previous complete snapshot intact when a later pull fails', async () => {
    await startHub();
    const first = await puller().pull(ID, { files: ['config.json'] });
    hub.fault(ID, ONNX, { corrupt: true });
    await rejection(puller().pull(ID));
    expect(await readFile(join(repoDir(), 'refs', 'main'), 'utf8')).toBe(hub.commitOf(ID));
    expect(await readdir(first.snapshotDir)).toEqual(['config.json']);
  });

  it('answers model_not_found for an unknown repo or revision', async () => {
    await startHub();
    const unknown = await rejection(puller().pull('org/nope'));
    expect(unknown.code).toBe('model_not_found');
    expect(unknown.message).toMatch(/no such model on the hub/);
    const badRev = await rejection(puller().pull(ID, { revision: 'v9' }));
    expect(badRev.code).toBe('model_not_found');
    expect(badRev.message).toMatch(/no revision "v9"/);
    expect(await exists(repoDir('org/nope'))).toBe(false);
  });

  it('fails with pull_failed naming a listed file the hub does not have, before downloading', async () => {
    await startHub();
    const error = await rejection(puller().pull(ID, { files: ['config.json', 'onnx/missing.onnx'] }));
    expect(error.code).toBe('pull_failed');
    expect(error.message).toMatch(/"onnx\/missing\.onnx"/);
    expect(hub.downloads()).toEqual([]);
  });

  it('needs HF_TOKEN for a gated repo: model_not_found without, pull_failed with a wrong one', async () => {
    await startHub({ 'org/gated': { files: TINY, access: { token: 'hf_good', mode: 'gated' } }, 'org/private': { files: TINY, access: { token: 'hf_good', mode: 'private' } } });
    const none = await rejection(puller().pull('org/gated'));
    expect(none.code).toBe('model_not_found');
    expect(none.message).toMatch(/gated or private.*HF_TOKEN/);
    await expectNoSnapshot('org/gated');
    const wrong = await rejection(puller({ token: 'hf_bad' }).pull('org/gated'));
    expect(wrong.code).toBe('pull_failed');
    const hidden = await rejection(puller().pull('org/private'));
    expect(hidden.code).toBe('model_not_found');
    expect(hub.count((r) => r.path.includes('org/private/resolve'))).toBe(0);

    const model = await puller({ token: 'hf_good' }).pull('org/gated');
    expect(model.files).toEqual(RUNNABLE);
    expect(hub.requests.filter((r) => r.path.includes('org/gated/resolve')).every((r) => r.authorization === 'Bearer hf_good' || r.status === 401 || r.status === 403)).toBe(true);
  });

  it('picks model_quantized.onnx when there is no model.onnx, and refuses a repo without ONNX', async () => {
    const quantizedOnly = Object.fromEntries(Object.entries(TINY).filter(([k]) => k !== ONNX));
    const torchOnly = Object.fromEntries(Object.entries(TINY).filter(([k]) => !k.endsWith('.onnx')));
    await startHub({ 'org/quant': { files: quantizedOnly }, 'org/torch': { files: torchOnly } });
    const model = await puller().pull('org/quant');
    expect(model.files).toContain('onnx/model_quantized.onnx');
    expect(model.files.filter((f) => f.endsWith('.onnx'))).toEqual(['onnx/model_quantized.onnx']);
    const error = await rejection(puller().pull('org/torch'));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/no ONNX weights Hearth can run/);
    expect(hub.count((r) => r.path.includes('org/torch/resolve'))).toBe(0);
  });

  it.each(['../evil', '/abs', 'a\\b', 'onnx/../../x', 'a//b', 'nul\0byte'])('rejects a hostile path from the hub (%j) before writing anything', async (path) => {
    await startHub({ 'org/evil': { files: { ...TINY, [path]: 'pwned' } } });
    const error = await rejection(puller().pull('org/evil'));
    expect(error.code).toBe('pull_failed');
    expect(error.message).toMatch(/unsafe file path/);
    expect(await exists(repoDir('org/evil'))).toBe(false);
    expect(hub.downloads()).toEqual([]);
  });

  it('rejects bad ids, revisions and file paths from the caller', async () => {
    await startHub();
    for (const call of [
      puller().pull('../etc'),
      puller().pull(ID, { revision: '../../x' }),
      puller().pull(ID, { files: ['../x'] }),
      puller().pull(ID, { files: [] }),
    ]) {
      expect((await rejection(call)).code).toBe('invalid_request');
    }
    expect(hub.requests).toEqual([]);
  });

  it("detaches one aborting caller; the other's pull goes on with the same download", async () => {
    await startHub();
    hub.fault(ID, ONNX, { dripBytes: 24 * 1024, dripMs: 10 });
    const p = puller();
    const abort = new AbortController();
    const a = collect();
    const first = p.pull(ID, { signal: abort.signal, onProgress: a.onProgress });
    const second = p.pull(ID);
    await whenBytes(a.events, `sha256:${hub.etagOf(ID, ONNX)}`);
    abort.abort();
    const error = await rejection(first);
    expect(error.name).toBe('AbortError');
    const model = await second;
    await expectBytes(join(model.snapshotDir, ONNX), TINY[ONNX]);
    expect(hub.contentRequests(ID, ONNX)).toHaveLength(1);
  });

  it('stops the download when every caller aborts, leaving the partial file to resume', async () => {
    await startHub();
    hub.fault(ID, ONNX, { dripBytes: 16 * 1024, dripMs: 10 });
    const p = puller();
    const a = new AbortController();
    const b = new AbortController();
    const events = collect();
    const pulls = [p.pull(ID, { signal: a.signal, onProgress: events.onProgress }), p.pull(ID, { signal: b.signal })];
    await whenBytes(events.events, `sha256:${hub.etagOf(ID, ONNX)}`, 40_000);
    a.abort();
    b.abort();
    for (const pull of pulls) expect((await rejection(pull)).name).toBe('AbortError');
    await expectNoSnapshot();
    const partial = (await stat(join(repoDir(), 'blobs', `${hub.etagOf(ID, ONNX)}.incomplete`))).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(ONNX_SIZE);

    const model = await p.pull(ID);
    await expectBytes(join(model.snapshotDir, ONNX), TINY[ONNX]);
    expect(hub.contentRequests(ID, ONNX)[1]).toMatchObject({ range: `bytes=${partial}-`, status: 206 });
  });

  it('maps a full disk to insufficient_storage and leaves no snapshot', async () => {
    await startHub();
    const full: OpenSink = async () => ({
      write: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      },
      close: async () => {},
    });
    const error = await rejection(puller({ openSink: full }).pull(ID));
    expect(error.code).toBe('insufficient_storage');
    expect(error.message).toMatch(/disk is full \(ENOSPC\)/);
    await expectNoSnapshot();
  });

  it('maps an unwritable cache to insufficient_storage', async () => {
    await startHub();
    const denied: OpenSink = async (path) => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES', path });
    };
    const error = await rejection(puller({ openSink: denied }).pull(ID));
    expect(error.code).toBe('insufficient_storage');
    expect(error.message).toMatch(/not writable/);
  });
});

describe('ModelStore.delete', () => {
  it('removes the whole repo folder and says whether there was one', async () => {
    await startHub();
    await puller().pull(ID, { files: ['config.json'] });
    expect((await store.list()).map((m) => m.id)).toEqual([ID]);
    expect(await store.delete(ID)).toBe(true);
    expect(await exists(repoDir())).toBe(false);
    expect(await store.delete(ID)).toBe(false);
    expect(await store.list()).toEqual([]);
  });
});
