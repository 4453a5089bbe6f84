import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/observability/metrics.js';

/** Sample lines of one metric family, "name{labels} value" → value. */
async function samples(metrics: Metrics, name: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await metrics.render()).split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('Metrics', () => {
  it('counts requests by endpoint and status, times them and tracks the ones in flight', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.requestStarted();
    m.requestStarted();
    expect((await samples(m, 'active_requests')).get('active_requests')).toBe(2);
    m.requestFinished('/v1/embeddings', 200, 0.02);
    m.requestFinished('/api/models/{model}', 404, 0.001);
    const requests = await samples(m, 'api_requests_total');
    expect(requests.get('api_requests_total{endpoint="/v1/embeddings",status="200"}')).toBe(1);
    expect(requests.get('api_requests_total{endpoint="/api/models/{model}",status="404"}')).toBe(1);
    expect((await samples(m, 'active_requests')).get('active_requests')).toBe(0);
    const durations = await samples(m, 'api_request_duration_seconds');
    expect(durations.get('api_request_duration_seconds_bucket{le="0.025",endpoint="/v1/embeddings"}')).toBe(1);
    expect(durations.get('api_request_duration_seconds_bucket{le="0.01",endpoint="/v1/embeddings"}')).toBe(0);
  });

  it('turns pool events into load times, the loaded gauge and worker restarts', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.onPoolEvent({ type: 'load', key: 'org/a', ms: 1500 });
    m.onPoolEvent({ type: 'load', key: 'org/b', ms: 200 });
    m.onPoolEvent({ type: 'unload', key: 'org/b', reason: 'expired' });
    m.onPoolEvent({ type: 'unload', key: 'org/a', reason: 'invalidated' });
    m.onPoolEvent({ type: 'load_failed', key: 'org/c' });
    expect(await samples(m, 'models_loaded')).toEqual(new Map([['models_loaded{model="org/a"}', 0], ['models_loaded{model="org/b"}', 0]]));
    expect((await samples(m, 'model_load_duration_seconds_sum')).get('model_load_duration_seconds_sum{model="org/a"}')).toBe(1.5);
    expect(await samples(m, 'worker_restarts_total')).toEqual(new Map([['worker_restarts_total{model="org/a"}', 1]]));
  });

  it('records each inference run: duration, inputs and padded tokens', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.onBatch('org/a', { size: 3, paddedCost: 30, ms: 4 });
    m.onBatch('org/a', { size: 1, paddedCost: 7, ms: 2 });
    expect((await samples(m, 'model_inference_duration_seconds_count')).get('model_inference_duration_seconds_count{model="org/a"}')).toBe(2);
    expect((await samples(m, 'model_inference_duration_seconds_sum')).get('model_inference_duration_seconds_sum{model="org/a"}')).toBeCloseTo(0.006);
    expect((await samples(m, 'batch_size_sum')).get('batch_size_sum{model="org/a"}')).toBe(4);
    expect((await samples(m, 'batch_tokens_bucket')).get('batch_tokens_bucket{le="16",model="org/a"}')).toBe(1);
  });

  it('reads queue depth at scrape time, dropping models that went away', async () => {
    const m = new Metrics({ defaultMetrics: false });
    let queues = [{ model: 'org/a', queued: 5 }, { model: 'org/b', queued: 0 }];
    m.trackQueues(() => queues);
    expect(await samples(m, 'queue_depth')).toEqual(new Map([['queue_depth{model="org/a"}', 5], ['queue_depth{model="org/b"}', 0]]));
    queues = [{ model: 'org/b', queued: 2 }];
    expect(await samples(m, 'queue_depth')).toEqual(new Map([['queue_depth{model="org/b"}', 2]]));
  });

  it('counts pulls by outcome', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.onPull('success');
    m.onPull('failed');
    m.onPull('success');
    expect(await samples(m, 'model_pulls_total')).toEqual(new Map([['model_pulls_total{status="success"}', 2], ['model_pulls_total{status="failed"}', 1]]));
  });

  it('exposes gpu_memory_used_bytes only once tracked, and only once', async () => {
    const m = new Metrics({ defaultMetrics: false });
    expect(await m.render()).not.toContain('gpu_memory_used_bytes');
    m.trackGpuMemory(async () => 3 * 1024 * 1024);
    m.trackGpuMemory(async () => 1);
    expect(await samples(m, 'gpu_memory_used_bytes')).toEqual(new Map([['gpu_memory_used_bytes', 3 * 1024 * 1024]]));
  });

  it('adds the process metrics under the hearth_ prefix', async () => {
    const text = await new Metrics().render();
    expect(text).toMatch(/^hearth_process_cpu_seconds_total /m);
    expect(text).toMatch(/^hearth_nodejs_eventloop_lag_seconds /m);
    expect(text).not.toMatch(/^process_cpu_seconds_total /m);
  });
});
