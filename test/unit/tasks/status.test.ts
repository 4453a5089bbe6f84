import { describe, expect, it } from 'vitest';
import type { PoolEntryInfo } from '../../../src/runtime/pool.js';
import { type ModelHandle, runtimeStatus } from '../../../src/tasks/status.js';

const runtime = { device: 'cpu' as const, intraOpThreads: 4, interOpThreads: 1, inferenceNice: 10 };
const entry = (key: string, over: Partial<PoolEntryInfo> = {}): PoolEntryInfo => ({ key, state: 'ready', sizeBytes: 1000, refs: 0, lastUsed: 0, expiresAt: null, ...over });
const handle = (over: Partial<ModelHandle> = {}): ModelHandle => ({ queued: 0, alive: true, info: { provider: 'cpu' }, ...over });

describe('runtimeStatus', () => {
  it('reports ready models with their queue and worker, and loading ones without', () => {
    const handles: Record<string, ModelHandle> = { 'org/a': handle({ queued: 7 }), 'org/b': handle({ alive: false }) };
    const status = runtimeStatus({
      entries: [entry('org/a', { refs: 2 }), entry('org/b', { expiresAt: Date.UTC(2030, 0, 1) }), entry('org/c', { state: 'loading', sizeBytes: 50 })],
      handle: (key) => handles[key],
      pulls: [{ id: 'org/d', progress: { status: 'downloading', total: 100, completed: 40 }, callers: 2 }],
      runtime,
    });
    expect(status.models).toEqual([
      { id: 'org/a', state: 'ready', sizeBytes: 1000, expiresAt: null, refs: 2 },
      { id: 'org/b', state: 'ready', sizeBytes: 1000, expiresAt: new Date(Date.UTC(2030, 0, 1)), refs: 0 },
      { id: 'org/c', state: 'loading', sizeBytes: 50, expiresAt: null, refs: 0 },
    ]);
    expect(status.queues).toEqual([{ model: 'org/a', queued: 7 }, { model: 'org/b', queued: 0 }]);
    expect(status.workers).toEqual([{ model: 'org/a', alive: true, threads: 4 }, { model: 'org/b', alive: false, threads: 4 }]);
    expect(status.pulls).toEqual([{ model: 'org/d', status: 'downloading', total: 100, completed: 40, callers: 2 }]);
    expect(status.device).toEqual({ provider: 'cpu', requested: 'cpu', intraOpThreads: 4, interOpThreads: 1, inferenceNice: 10 });
  });

  it('takes the provider from the loaded models (a CUDA one wins), else from the setting', () => {
    const status = (device: 'auto' | 'cpu' | 'cuda', providers: string[]) =>
      runtimeStatus({ entries: providers.map((_, i) => entry(`org/m${i}`)), handle: (key) => handle({ info: { provider: providers[Number(key.slice(5))]! } }), pulls: [], runtime: { ...runtime, device } }).device.provider;
    expect(status('auto', ['cpu', 'cuda'])).toBe('cuda');
    expect(status('cuda', ['cpu'])).toBe('cpu');
    expect(status('cuda', [])).toBe('cuda');
    expect(status('cpu', [])).toBe('cpu');
    // This project installs onnxruntime-node without its CUDA libraries.
    expect(status('auto', [])).toBe('cpu');
  });
});
