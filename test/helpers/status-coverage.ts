import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LogLine } from './server.js';
import { ROOT } from './paths.js';

/**
 * Which documented (route, status) pairs the integration tests actually made
 * the server answer. Passive: every test server's access log is appended here
 * when its process exits, and the integration teardown compares the lot with
 * /openapi.json. A report, not a gate: some statuses (507, 502 from a hub) are
 * covered by unit tests or not at all.
 */
export const ANSWERED_LOG = join(ROOT, '.cache', 'status-coverage', 'answered.log');

export function resetAnswered(): void {
  rmSync(dirname(ANSWERED_LOG), { recursive: true, force: true });
}

export function recordAnswered(logs: readonly LogLine[]): void {
  const lines = logs.filter((l) => l.msg === 'request' && typeof l.endpoint === 'string').map((l) => `${String(l.method).toLowerCase()} ${l.status} ${l.endpoint}\n`);
  if (lines.length === 0) return;
  mkdirSync(dirname(ANSWERED_LOG), { recursive: true });
  appendFileSync(ANSWERED_LOG, lines.join(''));
}

type Paths = Record<string, Record<string, { responses: Record<string, unknown> }>>;

/** Declared "method path status" keys that no recorded request produced. */
export function unanswered(paths: Paths, answeredLines: string[]): { declared: number; missing: string[] } {
  const routes = Object.entries(paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method, path, statuses: Object.keys(op.responses), pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '.+')}$`) })),
  );
  const answered = new Set<string>();
  for (const line of answeredLines) {
    const [method, status, ...rest] = line.split(' ');
    const rawPath = rest.join(' ');
    const route = routes.find((r) => r.method === method && r.pattern.test(rawPath));
    if (route) answered.add(`${method} ${route.path} ${status}`);
  }
  const declared = routes.flatMap((r) => r.statuses.map((s) => `${r.method} ${r.path} ${s}`));
  return { declared: declared.length, missing: declared.filter((k) => !answered.has(k)) };
}

export function readAnswered(): string[] {
  return existsSync(ANSWERED_LOG) ? readFileSync(ANSWERED_LOG, 'utf8').split('\n').filter(Boolean) : [];
}
