import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OpenAIEmbeddings } from '@langchain/openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PYTHON, ROOT, TIKTOKEN_CACHE } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';
import { cosine } from '../helpers/vectors.js';

const KEY = 'sk-hearth-test';
const texts = [
  'The quick brown fox jumps over the lazy dog.',
  'Hearth serves embeddings on a home server.',
  'Ünïcödé, 日本語のテキスト, and emoji 🔥 together.',
  'line one\nline two\n\nline four',
  '',
];

/** Unmodified OpenAI-compatible clients, with their defaults, must get the vectors a direct float request gets. */
describe('real OpenAI clients against Hearth', () => {
  let server: RunningServer;
  let direct: number[][];

  beforeAll(async () => {
    server = await startServer({ HF_HOME: inject('hfHome'), HEARTH_API_KEYS: KEY });
    const res = await postJson(`${server.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: texts, encoding_format: 'float' }, { authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(200);
    direct = res.json.data.map((d: { embedding: number[] }) => d.embedding);
  });
  afterAll(async () => {
    await server.stop();
  });

  /** LangChain JS and LlamaIndex replace newlines with spaces before sending; compare against what was really sent. */
  const expectSame = (got: number[][], sentTexts: string[]) => Promise.all(
    got.map(async (vector, i) => {
      const reference = sentTexts[i] === texts[i] ? direct[i]! : await directFor(sentTexts[i]!);
      expect(vector.length).toBe(384);
      expect(cosine(vector, reference), `text ${i}`).toBeGreaterThanOrEqual(0.9999);
    }),
  );
  const directFor = async (text: string) => {
    const res = await postJson(`${server.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: text }, { authorization: `Bearer ${KEY}` });
    return res.json.data[0].embedding as number[];
  };

  it('openai-node with its default (base64) encoding', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY });
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts });
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2, 3, 4]);
    await expectSame(res.data.map((d) => d.embedding), texts);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('openai-node with float encoding and dimensions', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY });
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts[0]!, encoding_format: 'float', dimensions: 64 });
    expect(res.data[0]!.embedding).toHaveLength(64);
    expect(cosine(res.data[0]!.embedding, direct[0]!.slice(0, 64))).toBeGreaterThanOrEqual(0.9999);
  });

  it('openai-node surfaces Hearth errors as typed API errors', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    await expect(client.embeddings.create({ model: 'nope/nope', input: 'x' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const wrongKey = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(wrongKey.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toMatchObject({ status: 401 });
  });

  it('LangChain JS OpenAIEmbeddings', async () => {
    const embeddings = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: KEY, configuration: { baseURL: `${server.url}/v1` } });
    const docs = await embeddings.embedDocuments(texts);
    const query = await embeddings.embedQuery(texts[0]!);
    const sent = texts.map((t) => t.replace(/\n/g, ' '));
    await expectSame(docs, sent);
    expect(cosine(query, direct[0]!)).toBeGreaterThanOrEqual(0.9999);
  });

  it('openai-python, LangChain Python (token ids) and LlamaIndex with their defaults', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-clients-'));
    const inputs = join(dir, 'inputs.json');
    await writeFile(inputs, JSON.stringify(texts));
    const { stdout } = await promisify(execFile)(PYTHON, [join(ROOT, 'test/python/openai_clients.py'), `${server.url}/v1`, KEY, inputs], {
      env: { ...process.env, TIKTOKEN_CACHE_DIR: TIKTOKEN_CACHE, HF_HUB_OFFLINE: '1', NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    const out = JSON.parse(stdout) as Record<string, any>;
    await expectSame(out.openai, texts);
    await expectSame(out.langchain_documents, texts);
    expect(cosine(out.langchain_query, direct[0]!)).toBeGreaterThanOrEqual(0.9999);
    await expectSame(out.llamaindex_batch, texts.map((t) => t.replace(/\n/g, ' ')));
    expect(cosine(out.llamaindex_query, direct[0]!)).toBeGreaterThanOrEqual(0.9999);
    // LangChain's default really is token ids: the path this test exists for.
    expect(JSON.stringify(out.notes)).toContain('token_id');
  });
});
