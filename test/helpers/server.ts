import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { MAIN, ROOT } from './paths.js';
import { recordAnswered } from './status-coverage.js';

export interface LogLine {
  msg?: string;
  level?: string;
  [key: string]: unknown;
}

export interface RunningServer {
  url: string;
  port: number;
  proc: ChildProcess;
  logs: LogLine[];
  /** Lines the server printed that were not JSON (should stay empty). */
  stray: string[];
  alive(): boolean;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the real built server on 127.0.0.1 with an ephemeral port and collects its JSON log lines. */
export async function startServer(env: Record<string, string>, timeoutMs = 30_000): Promise<RunningServer> {
  const proc = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    // HF_ENDPOINT points at a closed loopback port unless a test brings its own hub: no test may reach the internet.
    // HEARTH_EGRESS_DNS=false: a name a test (or the fuzzer) sends is never looked up; tests map names with HEARTH_EGRESS_HOSTS.
    // HEARTH_KEYS_FILE: never the developer's data/keys.json (its keys would turn auth on); tests that want keys pass their own.
    env: { ...process.env, HEARTH_HOST: '127.0.0.1', HEARTH_PORT: '0', HEARTH_LOG_LEVEL: 'info', HF_ENDPOINT: 'http://127.0.0.1:9', HF_TOKEN: '', HEARTH_EGRESS_DNS: 'false', HEARTH_KEYS_FILE: join(ROOT, '.cache', 'no-such-keys-file.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stray: string[] = [];
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve((exitCode = code))));
  // After stdio closed, so every access-log line is in: feeds the declared-vs-answered status report.
  proc.once('close', () => recordAnswered(logs));
  for (const stream of [proc.stdout!, proc.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        stray.push(line);
      }
    });
  }
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stray.join('\n')}`)), timeoutMs);
    const poll = setInterval(() => {
      const line = logs.find((l) => l.msg === 'hearth listening');
      if (line) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(line.port as number);
      } else if (exitCode !== undefined) {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`server exited with ${exitCode}: ${stray.join('\n')}`));
      }
    }, 20);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    logs,
    stray,
    alive: () => exitCode === undefined,
    stop: async (signal = 'SIGTERM') => {
      if (exitCode !== undefined) return exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { __not_json__: text };
  }
  return { status: res.status, headers: res.headers, json };
}
