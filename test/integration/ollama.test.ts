import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OllamaEmbeddings } from '@langchain/ollama';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHub } from '../helpers/fake-hub.js';
import { CLI, MODEL_DIRS, PYTHON, ROOT } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';
import { cosine, norm } from '../helpers/vectors.js';

const run = promisify(execFile);
const INT8 = 'Xenova/all-MiniLM-L6-v2';
const FP32 = 'sentence-transformers/all-MiniLM-L6-v2';
const texts = ['Ollama clients should not notice the difference.', 'Hearth keeps weights in the Hugging Face cache.'];

/**
 * The Ollama surface and the model lifecycle against a local hub on 127.0.0.1:
 * pull (with progress), list, load, ps, unload with keep_alive 0, delete — through
 * ollama-js, ollama-python, LangChain JS, fetch and the CLI.
 */
describe('Ollama API and model lifecycle', () => {
  let hub: FakeHub;
  let hfHome: string;
  let server: RunningServer;
  let ollama: Ollama;

  beforeAll(async () => {
    hub = await FakeHub.start({
      [INT8]: { dir: MODEL_DIRS.int8 },
      // The manifest pins this revision, so the local hub must know it.
      [FP32]: { dir: MODEL_DIRS.fp32, commit: 'c9745ed1d9f207416be6d2e6f8de32d1f16199bf' },
      'someone/tiny-embedder': { dir: MODEL_DIRS.int8 },
    });
    hfHome = await mkdtemp(join(tmpdir(), 'hearth-ollama-'));
    server = await startServer({ HF_HOME: hfHome, HF_ENDPOINT: hub.url });
    ollama = new Ollama({ host: server.url });
  });
  afterAll(async () => {
    await server.stop();
    await hub.close();
    await rm(hfHome, { recursive: true, force: true });
  });

  it('answers GET / and HEAD / like Ollama, and /api/version', async () => {
    const root = await fetch(server.url);
    expect(root.status).toBe(200);
    expect(await root.text()).toBe('Ollama is running');
    expect((await fetch(server.url, { method: 'HEAD' })).status).toBe(200);
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('ollama-js pulls with progress events ending in success, and lists the model', async () => {
    const events = [];
    for await (const event of await ollama.pull({ model: 'all-minilm:int8', stream: true })) events.push(event);
    expect(events[0]!.status).toBe('pulling manifest');
    expect(events.at(-1)!.status).toBe('success');
    const withBytes = events.filter((e) => e.digest && e.total);
    expect(withBytes.length).toBeGreaterThan(0);
    expect(withBytes.some((e) => e.completed === e.total)).toBe(true);
    const { models } = await ollama.list();
    const listed = models.find((m) => m.name === `${INT8}:latest`)!;
    expect(listed).toBeTruthy();
    expect(listed.size).toBeGreaterThan(20_000_000);
    expect(listed.details.format).toBe('onnx');
    expect(new Date(listed.modified_at).getTime()).toBeGreaterThan(0);
  });

  it('ollama-js embed returns unit vectors equal to /v1/embeddings, and ps shows the model', async () => {
    const res = await ollama.embed({ model: 'all-minilm:int8', input: texts });
    expect(res.embeddings).toHaveLength(2);
    expect(res.prompt_eval_count).toBeGreaterThan(10);
    expect(res.total_duration).toBeGreaterThan(0);
    const direct = await postJson(`${server.url}/v1/embeddings`, { model: INT8, input: texts });
    res.embeddings.forEach((v, i) => {
      expect(norm(v)).toBeCloseTo(1, 5);
      expect(cosine(v, direct.json.data[i].embedding)).toBeGreaterThanOrEqual(0.9999);
    });
    const ps = await ollama.ps();
    const loaded = ps.models.find((m) => m.name === `${INT8}:latest`)!;
    expect(loaded).toBeTruthy();
    expect(new Date(loaded.expires_at).getTime()).toBeGreaterThan(Date.now());
  });

  it('legacy /api/embeddings returns the raw pooled vector (not normalised), same direction', async () => {
    const legacy = await ollama.embeddings({ model: 'all-minilm:int8', prompt: texts[0]! });
    const unit = await ollama.embed({ model: 'all-minilm:int8', input: texts[0]! });
    expect(Math.abs(norm(legacy.embedding) - 1)).toBeGreaterThan(0.01);
    expect(cosine(legacy.embedding, unit.embeddings[0]!)).toBeGreaterThanOrEqual(0.9999);
  });

  it('keep_alive: a duration sets expires_at, -1 keeps forever, 0 unloads; empty input just loads', async () => {
    await ollama.embed({ model: 'all-minilm:int8', input: [], keep_alive: '1h' });
    const inAnHour = (await ollama.ps()).models.find((m) => m.name === `${INT8}:latest`)!;
    const expires = new Date(inAnHour.expires_at).getTime() - Date.now();
    expect(expires).toBeGreaterThan(3_500_000);
    expect(expires).toBeLessThan(3_700_000);
    await ollama.embed({ model: 'all-minilm:int8', input: 'x', keep_alive: -1 });
    expect((await ollama.ps()).models.find((m) => m.name === `${INT8}:latest`)!.expires_at).toMatch(/^9999/);
    await ollama.embed({ model: 'all-minilm:int8', input: [], keep_alive: 0 });
    expect((await ollama.ps()).models.find((m) => m.name === `${INT8}:latest`)).toBeUndefined();
  });

  it('refuses to delete a loaded model, deletes it once unloaded (ollama-js sends name)', async () => {
    await ollama.embed({ model: 'all-minilm:int8', input: 'load me', keep_alive: '10m' });
    await expect(ollama.delete({ model: 'all-minilm:int8' })).rejects.toMatchObject({ status_code: 409 });
    await ollama.embed({ model: 'all-minilm:int8', input: [], keep_alive: 0 });
    await ollama.delete({ model: 'all-minilm:int8' });
    expect((await ollama.list()).models.find((m) => m.name === `${INT8}:latest`)).toBeUndefined();
    const again = await fetch(`${server.url}/api/delete`, { method: 'DELETE', body: JSON.stringify({ name: 'all-minilm:int8' }) });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: expect.stringContaining('not found') });
  });

  it('downloads a manifest model on first use: concurrent requests share one pull', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: 'first use' })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(hub.contentRequests(FP32, 'onnx/model.onnx')).toHaveLength(1);
    expect(server.logs.filter((l) => l.msg === 'pull started' && l.model === FP32)).toHaveLength(1);
    // Only the manifest's files were fetched: not the 90 MB safetensors.
    expect(hub.contentRequests(FP32, 'model.safetensors')).toHaveLength(0);
  });

  it('ollama-python embed, list, ps and show parse Hearth’s answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-ollama-py-'));
    await writeFile(join(dir, 'inputs.json'), JSON.stringify(texts));
    const { stdout } = await run(PYTHON, [join(ROOT, 'test/python/ollama_clients.py'), server.url, 'all-minilm', join(dir, 'inputs.json')], { timeout: 60_000 });
    const out = JSON.parse(stdout);
    expect(out.embed).toHaveLength(2);
    expect(norm(out.embed[0])).toBeCloseTo(1, 5);
    expect(out.list).toContain(`${FP32}:latest`);
    expect(out.list_modified_types).toEqual(['datetime']);
    expect(out.ps.map((m: { name: string }) => m.name)).toContain(`${FP32}:latest`);
    expect(out.ps_expires_types).toEqual(['datetime']);
    expect(out.show_capabilities).toEqual(['embedding']);
    expect(out.show_model_info_keys).toContain('general.architecture');
  });

  it('LangChain JS OllamaEmbeddings gets the same vectors as /api/embed', async () => {
    const embeddings = new OllamaEmbeddings({ model: 'all-minilm', baseUrl: server.url });
    const docs = await embeddings.embedDocuments(texts);
    const query = await embeddings.embedQuery(texts[0]!);
    const direct = await ollama.embed({ model: 'all-minilm', input: texts });
    docs.forEach((v, i) => expect(cosine(v, direct.embeddings[i]!)).toBeGreaterThanOrEqual(0.9999));
    expect(cosine(query, direct.embeddings[0]!)).toBeGreaterThanOrEqual(0.9999);
  });

  it('lists OpenAI models with aliases and Hearth models with state', async () => {
    const openai = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: Array<{ id: string; object: string }> };
    expect(openai.data.map((m) => m.id)).toEqual(expect.arrayContaining([FP32, 'text-embedding-3-small', 'all-minilm']));
    const one = await fetch(`${server.url}/v1/models/${FP32}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { id: string }).id).toBe(FP32);
    expect((await fetch(`${server.url}/v1/models/not-a-model`)).status).toBe(404);
    const hearth = (await (await fetch(`${server.url}/api/models?task=text-embedding`)).json()) as { models: Array<{ id: string; downloaded: boolean; loaded: boolean }> };
    expect(hearth.models.find((m) => m.id === FP32)).toMatchObject({ downloaded: true, loaded: true });
    expect(hearth.models.find((m) => m.id === INT8)).toMatchObject({ downloaded: false, loaded: false });
    expect((await fetch(`${server.url}/api/models?task=nonsense`)).status).toBe(400);
  });

  it('pull of an unknown repo: 404 without streaming, an error line mid-stream', async () => {
    const plain = await postJson(`${server.url}/api/pull`, { model: 'nobody/nothing', stream: false });
    expect(plain.status).toBe(404);
    expect(typeof plain.json.error).toBe('string');
    const streamed = await fetch(`${server.url}/api/pull`, { method: 'POST', body: JSON.stringify({ model: 'nobody/nothing' }) });
    const lines = (await streamed.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ error: expect.any(String) });
  });

  it('bad Ollama input answers {"error": …} with the right status', async () => {
    const cases: Array<[string, unknown, number]> = [
      ['/api/embed', { model: 'all-minilm', input: 'x', keep_alive: 'soon' }, 400],
      ['/api/embed', { model: 'all-minilm', input: 5 }, 400],
      ['/api/embed', { input: 'x' }, 400],
      ['/api/embed', { model: 'no-such-model', input: 'x' }, 404],
      ['/api/embeddings', { model: 'all-minilm', prompt: 7 }, 400],
      ['/api/show', {}, 400],
      ['/api/show', { model: 'someone/not-here' }, 404],
      ['/api/pull', { stream: false }, 400],
    ];
    for (const [path, body, status] of cases) {
      const res = await postJson(`${server.url}${path}`, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(Object.keys(res.json)).toEqual(['error']);
    }
  });

  it('the CLI pulls (plain progress lines when not a TTY), lists, shows, ps and removes through the server', async () => {
    const env = { ...process.env, HF_HOME: hfHome, HEARTH_PORT: String(server.port), HEARTH_HOST: '127.0.0.1' };
    const pulled = await run(process.execPath, [CLI, 'pull', 'someone/tiny-embedder'], { env });
    expect(pulled.stdout).toContain('pulling manifest');
    expect(pulled.stdout.trim().split('\n').at(-1)).toBe('success');
    expect((await run(process.execPath, [CLI, 'ls'], { env })).stdout).toMatch(/someone\/tiny-embedder\s+text-embedding\s+downloaded/);
    expect(JSON.parse((await run(process.execPath, [CLI, 'show', 'someone/tiny-embedder'], { env })).stdout).capabilities).toEqual(['embedding']);
    expect((await run(process.execPath, [CLI, 'ps'], { env })).stdout).toContain(`${FP32}:latest`);
    await run(process.execPath, [CLI, 'rm', 'someone/tiny-embedder'], { env });
    expect((await run(process.execPath, [CLI, 'ls'], { env })).stdout).not.toContain('someone/tiny-embedder');
  });

  it('the CLI works on the cache directly when no server is running', async () => {
    const offlineHome = await mkdtemp(join(tmpdir(), 'hearth-offline-'));
    const env = { ...process.env, HF_HOME: offlineHome, HF_ENDPOINT: hub.url, HEARTH_PORT: '9', HEARTH_HOST: '127.0.0.1' };
    const pulled = await run(process.execPath, [CLI, 'pull', 'all-minilm:int8'], { env });
    expect(pulled.stdout.trim().split('\n').at(-1)).toBe('success');
    expect((await run(process.execPath, [CLI, 'has', INT8], { env })).stdout).toContain(INT8);
    expect((await run(process.execPath, [CLI, 'ps'], { env })).stdout).toContain('no Hearth server is running');
    await run(process.execPath, [CLI, 'rm', INT8], { env });
    await expect(run(process.execPath, [CLI, 'has', INT8], { env })).rejects.toMatchObject({ code: 1 });
    await rm(offlineHome, { recursive: true, force: true });
  });
});

describe('the whole lifecycle through curl and ollama-python', () => {
  let hub: FakeHub;
  let hfHome: string;
  let server: RunningServer;
  beforeAll(async () => {
    hub = await FakeHub.start({ 'lifecycle/curl-model': { dir: MODEL_DIRS.int8 }, 'lifecycle/python-model': { dir: MODEL_DIRS.int8 } });
    hfHome = await mkdtemp(join(tmpdir(), 'hearth-lifecycle-'));
    server = await startServer({ HF_HOME: hfHome, HF_ENDPOINT: hub.url });
  });
  afterAll(async () => {
    await server.stop();
    await hub.close();
    await rm(hfHome, { recursive: true, force: true });
  });

  it('curl: pull, tags, embed, ps, keep_alive 0, delete', async () => {
    const curl = async (...args: string[]) => (await run('curl', ['-sS', '--fail-with-body', ...args])).stdout;
    const model = 'lifecycle/curl-model';
    const progress = (await curl('-N', `${server.url}/api/pull`, '-d', JSON.stringify({ model }))).trim().split('\n').map((l) => JSON.parse(l));
    expect(progress.at(-1)).toEqual({ status: 'success' });
    expect(JSON.parse(await curl(`${server.url}/api/tags`)).models.map((m: { name: string }) => m.name)).toContain(`${model}:latest`);
    expect(JSON.parse(await curl(`${server.url}/api/embed`, '-d', JSON.stringify({ model, input: 'x' }))).embeddings[0]).toHaveLength(384);
    expect(JSON.parse(await curl(`${server.url}/api/ps`)).models.map((m: { name: string }) => m.name)).toContain(`${model}:latest`);
    await curl(`${server.url}/api/embed`, '-d', JSON.stringify({ model, keep_alive: 0 }));
    expect(JSON.parse(await curl(`${server.url}/api/ps`)).models).toEqual([]);
    await curl('-X', 'DELETE', `${server.url}/api/delete`, '-d', JSON.stringify({ model }));
    expect(JSON.parse(await curl(`${server.url}/api/tags`)).models).toEqual([]);
  });

  it('ollama-python: pull, list, embed, ps, keep_alive 0, delete', async () => {
    const { stdout } = await run(PYTHON, [join(ROOT, 'test/python/ollama_lifecycle.py'), server.url, 'lifecycle/python-model'], { timeout: 60_000 });
    const out = JSON.parse(stdout);
    expect(out.pull_statuses[0]).toBe('pulling manifest');
    expect(out.pull_statuses.at(-1)).toBe('success');
    expect(out.listed).toContain('lifecycle/python-model:latest');
    expect(out.dims).toBe(384);
    expect(out.loaded).toContain('lifecycle/python-model:latest');
    expect(out.after_unload).toEqual([]);
    expect(out.after_delete).not.toContain('lifecycle/python-model:latest');
  });

  it('the CLI: stop unloads a loaded model', async () => {
    const env = { ...process.env, HF_HOME: hfHome, HEARTH_PORT: String(server.port), HEARTH_HOST: '127.0.0.1' };
    await run(process.execPath, [CLI, 'pull', 'lifecycle/curl-model'], { env });
    await postJson(`${server.url}/api/embed`, { model: 'lifecycle/curl-model', input: 'load' });
    expect((await run(process.execPath, [CLI, 'ps'], { env })).stdout).toContain('lifecycle/curl-model');
    await run(process.execPath, [CLI, 'stop', 'lifecycle/curl-model'], { env });
    expect((await run(process.execPath, [CLI, 'ps'], { env })).stdout).not.toContain('lifecycle/curl-model');
  });
});

describe('auto-pull off', () => {
  it('answers 404 model_not_downloaded naming the pull command', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'hearth-nopull-'));
    const server = await startServer({ HF_HOME: empty, HEARTH_AUTO_PULL: 'false' });
    try {
      const res = await postJson(`${server.url}/v1/embeddings`, { model: 'all-minilm', input: 'x' });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('model_not_downloaded');
      expect(res.json.error.message).toContain('hearth pull sentence-transformers/all-MiniLM-L6-v2');
      expect((await fetch(`${server.url}/ready`)).status).toBe(503);
    } finally {
      await server.stop();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
