import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeHub } from '../helpers/fake-hub.js';
import { CLI, MODEL_DIRS } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';

const run = promisify(execFile);
const longText = 'the quick brown fox jumps over the lazy dog '.repeat(120);

/**
 * The documented statuses no happy path produces: a model failing mid-inference
 * (500), a hub serving corrupt bytes (502), an unknown repo (404), deleting a
 * loaded model (409), and a full disk during a pull (507).
 */
describe('error statuses from real failures', () => {
  let hub: FakeHub;
  let hfHome: string;
  let server: RunningServer;

  beforeAll(async () => {
    hfHome = inject('hfHome');
    // A model whose config overstates its context: 1,000 tokens through a graph with 512 positions fails inside onnxruntime.
    const overlong = await mkdtemp(join(tmpdir(), 'hearth-overlong-'));
    await cp(MODEL_DIRS.int8, overlong, { recursive: true });
    await writeFile(join(overlong, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 1000, do_lower_case: false }));
    execFileSync(process.execPath, [CLI, 'import', overlong, '--as', 'test/overlong-context'], { env: { ...process.env, HF_HOME: hfHome } });
    await rm(overlong, { recursive: true, force: true });
    hub = await FakeHub.start({ 'test/corrupt': { dir: MODEL_DIRS.int8 } });
    server = await startServer({ HF_HOME: hfHome, HF_ENDPOINT: hub.url });
  });
  afterAll(async () => {
    await server.stop();
    await hub.close();
  });

  it('a model that fails mid-inference answers 500 inference_failed on every embedding route, and keeps serving', async () => {
    const openai = await postJson(`${server.url}/v1/embeddings`, { model: 'test/overlong-context', input: longText });
    expect(openai.status).toBe(500);
    expect(openai.json.error.code).toBe('inference_failed');
    expect(openai.json.error.message).not.toMatch(/\n\s+at /);
    for (const [path, body] of [['/api/embed', { model: 'test/overlong-context', input: longText }], ['/api/embeddings', { model: 'test/overlong-context', prompt: longText }]] as const) {
      const res = await postJson(`${server.url}${path}`, body);
      expect(res.status, path).toBe(500);
      expect(typeof res.json.error).toBe('string');
    }
    expect((await postJson(`${server.url}/v1/embeddings`, { model: 'test/overlong-context', input: 'short is fine' })).status).toBe(200);
  });

  it('a hub serving corrupt bytes fails the pull with 502 on both pull routes', async () => {
    for (const path of ['/api/pull', '/api/models/pull']) {
      hub.fault('test/corrupt', 'onnx/model_quantized.onnx', { corrupt: true, times: 10 });
      const res = await postJson(`${server.url}${path}`, { model: 'test/corrupt', stream: false });
      expect(res.status, path).toBe(502);
    }
  });

  it('an unknown repo is 404 on /api/models/pull', async () => {
    const res = await postJson(`${server.url}/api/models/pull`, { model: 'nobody/nothing-here', stream: false });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('model_not_found');
  });

  it('deleting a loaded model is 409 until forced', async () => {
    expect((await postJson(`${server.url}/v1/embeddings`, { model: 'test/overlong-context', input: 'load it' })).status).toBe(200);
    const refused = await fetch(`${server.url}/api/models/test/overlong-context`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('model_in_use');
    expect((await fetch(`${server.url}/api/models/test/overlong-context?force=true`, { method: 'DELETE' })).status).toBe(200);
  });
});

describe('a full disk during a pull', () => {
  const mountPoint = join(tmpdir(), `hearth-tiny-disk-${process.pid}`);
  let mounted = false;
  let hub: FakeHub;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    await run('mkdir', ['-p', mountPoint]);
    // A 2 MB tmpfs as the model cache: the 23 MB int8 graph cannot fit. Needs root (CI runs as root).
    mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]).then(() => true, () => false);
    if (!mounted) return;
    hub = await FakeHub.start({ 'test/too-big': { dir: MODEL_DIRS.int8 } });
    server = await startServer({ HF_HOME: mountPoint, HF_ENDPOINT: hub.url });
  });
  afterAll(async () => {
    await server?.stop();
    await hub?.close();
    if (mounted) await run('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('answers 507 insufficient_storage on both pull routes and leaves no snapshot', async (ctx) => {
    if (!mounted) {
      if (process.env.CI) throw new Error('could not mount a tmpfs (CI runs as root and must)');
      ctx.skip();
    }
    for (const path of ['/api/pull', '/api/models/pull']) {
      const res = await postJson(`${server!.url}${path}`, { model: 'test/too-big', stream: false });
      expect(res.status, path).toBe(507);
    }
    const tags = (await (await fetch(`${server!.url}/api/tags`)).json()) as { models: unknown[] };
    expect(tags.models).toEqual([]);
  });
});
