import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, startServer } from '../helpers/server.js';

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROMETHEUS = onPath('prometheus');
// A developer without the Debian package may skip; CI must not (scripts/test.sh installs it).
const SKIP = !PROMETHEUS && !process.env.CI;
if (SKIP) console.warn('prometheus.test.ts skipped: no `prometheus` binary on PATH (apt-get install prometheus, or run `npm test`, which installs it)');

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf(SKIP)('a real Prometheus server scrapes Hearth', () => {
  let hearth: RunningServer;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let dir: string;
  const promLog: string[] = [];

  const query = async (q: string): Promise<Sample[]> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: Sample[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  };
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      await sleep(200);
    }
    throw new Error(`timed out waiting for ${what}; prometheus said:\n${promLog.join('').slice(-2000)}`);
  };

  beforeAll(async () => {
    if (!PROMETHEUS) throw new Error('no `prometheus` binary on PATH, and CI is set: scripts/test.sh must install it (apt-get install prometheus)');
    hearth = await startServer({ HF_HOME: inject('hfHome') });
    dir = await mkdtemp(join(tmpdir(), 'hearth-prometheus-'));
    await writeFile(
      join(dir, 'prometheus.yml'),
      ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: hearth', '    static_configs:', `      - targets: ['127.0.0.1:${hearth.port}']`, ''].join('\n'),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [prometheus.stdout!, prometheus.stderr!]) stream.on('data', (chunk: Buffer) => promLog.push(chunk.toString()));
    await waitFor('prometheus to be ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    await hearth?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scrapes the target and reads api_requests_total back by route pattern', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${hearth.url}/health`)).status).toBe(200);
    expect((await fetch(`${hearth.url}/api/models/some-org/some-model`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${hearth.url}/no/such/route`)).status).toBe(404);

    await waitFor('the target to be up', async () => ((await query('up{job="hearth"}'))[0]?.value[1] === '1' ? true : undefined));
    const health = await waitFor('3 /health requests in Prometheus', async () => {
      const [sample] = await query('api_requests_total{job="hearth",endpoint="/health",status="200"}');
      return sample && Number(sample.value[1]) >= 3 ? sample : undefined;
    });
    expect(health.metric).toMatchObject({ __name__: 'api_requests_total', job: 'hearth', endpoint: '/health', status: '200' });
    // A scrape is counted once answered, so Prometheus sees its own requests from the next scrape on.
    await waitFor('scrapes counted as /metrics', async () => ((await query('api_requests_total{job="hearth",endpoint="/metrics"}')).length > 0 ? true : undefined));

    const endpoints = (await query('sum by (endpoint, status) (api_requests_total{job="hearth"})')).map((s) => `${s.metric.endpoint} ${s.metric.status}`);
    expect(endpoints).toEqual(expect.arrayContaining(['/health 200', '/api/models/{model} 404', 'unmatched 404', '/metrics 200']));
    expect(endpoints.some((e) => e.includes('some-org') || e.includes('no/such'))).toBe(false);
    // The process metrics arrive too, under their prefix.
    expect((await query('hearth_process_resident_memory_bytes{job="hearth"}'))[0]?.value[1]).toMatch(/^\d+/);
  });

  it.runIf(onPath('promtool'))('our metric names pass promtool’s lint', async () => {
    // prom-client's own default metrics (hearth_nodejs_active_handles_total, a gauge) are not ours to rename.
    const text = await (await fetch(`${hearth.url}/metrics`)).text();
    const ours = text
      .split('\n\n')
      .filter((family) => !/^# HELP hearth_/.test(family))
      .join('\n\n');
    expect(ours).toContain('api_requests_total');
    expect(() => execFileSync(onPath('promtool')!, ['check', 'metrics'], { input: `${ours}\n`, stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
  });
});
