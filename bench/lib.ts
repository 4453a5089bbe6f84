import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { readFile } from 'node:fs/promises';

export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
export const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);

export interface Stats {
  perSecond: number;
  p50: number;
  p99: number;
  count: number;
}

/** Runs `task` from `concurrency` loops until `durationMs` has passed; latencies in ms, rate in units/s. */
export async function load(concurrency: number, durationMs: number, task: (i: number) => Promise<number>): Promise<Stats> {
  const latencies: number[] = [];
  let units = 0;
  let i = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const done = await task(i++); // not `units += await …`: that reads `units` before the await and loses updates
        units += done;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: units / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length };
}

export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

export interface BenchServer {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the built server as a child process on a free port and waits until /health answers. */
export async function startBenchServer(main: string, env: Record<string, string>): Promise<BenchServer> {
  const port = await freePort();
  const proc = spawn(process.execPath, [main], { env: { ...process.env, HEARTH_HOST: '127.0.0.1', HEARTH_PORT: String(port), HEARTH_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  proc.once('exit', () => (exited = true));
  for (const deadline = Date.now() + 30_000; ; ) {
    if (exited) throw new Error('server exited during start-up');
    if (await httpCall(`${url}/health`, 'GET').then((r) => r.status === 200, () => false)) break;
    if (Date.now() > deadline) throw new Error('server did not answer /health within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    proc,
    stop: async () => {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * A lean keep-alive HTTP client: the load generator shares the machine's cores
 * with the server, so it should cost as little CPU as possible (fetch costs more).
 */
export function httpCall(url: string, method: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
