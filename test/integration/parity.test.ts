import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REFERENCE } from '../helpers/paths.js';
import { type RunningServer, postJson, startServer } from '../helpers/server.js';
import { cosine, norm } from '../helpers/vectors.js';

interface Reference {
  sentences: string[];
  vectors: number[][];
  token_counts: number[];
  untruncated_token_counts: number[];
  max_seq_length: number;
}

const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as Reference;

/** Vectors from sentence-transformers on the same weights vs Hearth's /v1/embeddings. */
describe('parity with sentence-transformers', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ HF_HOME: inject('hfHome') });
  });
  afterAll(async () => {
    await server.stop();
  });

  const embed = async (model: string, input: string[]) => {
    const res = await postJson(`${server.url}/v1/embeddings`, { model, input });
    expect(res.status, JSON.stringify(res.json).slice(0, 300)).toBe(200);
    return res.json as { data: Array<{ embedding: number[]; index: number }>; usage: { prompt_tokens: number } };
  };

  it(`fp32 ONNX matches on all ${ref.sentences.length} sentences (cosine ≥ 0.9999 each)`, async () => {
    const body = await embed('sentence-transformers/all-MiniLM-L6-v2', ref.sentences);
    const cosines = body.data.map((d, i) => cosine(d.embedding, ref.vectors[i]!));
    const worst = Math.min(...cosines);
    expect(worst, `worst sentence: ${JSON.stringify(ref.sentences[cosines.indexOf(worst)]).slice(0, 120)}`).toBeGreaterThanOrEqual(0.9999);
    for (const d of body.data) expect(norm(d.embedding)).toBeCloseTo(1, 4);
    expect(ref.sentences.length).toBeGreaterThanOrEqual(200);
  });

  it('counts prompt tokens in the model’s tokens, after truncation to max_seq_length', async () => {
    const body = await embed('all-minilm', ref.sentences);
    expect(body.usage.prompt_tokens).toBe(ref.token_counts.reduce((a, b) => a + b, 0));
    expect(ref.untruncated_token_counts.some((n) => n > ref.max_seq_length)).toBe(true);
  });

  it('int8 ONNX stays close to the fp32 reference (mean cosine ≥ 0.99)', async () => {
    const body = await embed('all-minilm:int8', ref.sentences);
    const cosines = body.data.map((d, i) => cosine(d.embedding, ref.vectors[i]!));
    const mean = cosines.reduce((a, b) => a + b, 0) / cosines.length;
    expect(mean).toBeGreaterThanOrEqual(0.99);
    expect(Math.min(...cosines)).toBeGreaterThan(0.95);
  });

  it('batching does not change results: alone vs inside a mixed batch (cosine ≥ 0.99999)', async () => {
    const picks = [0, 5, 17, 42, 100, ref.sentences.length - 1];
    const alone = await Promise.all(picks.map((i) => embed('all-minilm', [ref.sentences[i]!])));
    // Concurrent mixed-length requests so the server merges them into shared, padded runs.
    const mixed = await Promise.all(
      [0, 1, 2, 3].map((k) => embed('all-minilm', ref.sentences.filter((_, i) => i % 4 === k).concat(picks.map((i) => ref.sentences[i]!)))),
    );
    for (const batch of mixed) {
      const tail = batch.data.slice(-picks.length);
      tail.forEach((d, j) => expect(cosine(d.embedding, alone[j]!.data[0]!.embedding)).toBeGreaterThanOrEqual(0.99999));
    }
  });
});
