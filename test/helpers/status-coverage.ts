import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LogLine } from './server.js';
import { ROOT } from './paths.js';

/**
 * Which documented (route, status) pairs the integration tests actually made
 * the server answer. Passive: every test server's access log is appended here
 * when its process exits, and the integration teardown compares the lot with
 * /openapi.json. Statuses that one shared middleware answers the same way on
 * every route (401 key, 403 Host guard/allowlist, 413 body limit, 429 rate
 * limit, 503 draining) count as proven for all routes once any route produced
 * them; every other documented status must be produced on its own route. On a
 * full run (HEARTH_STATUS_GATE=1, set by scripts/test.sh) a gap fails the run.
 */
export const SHARED_STATUSES = new Set(['401', '403', '413', '429', '503']);
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
  const sharedSeen = new Set([...answered].map((k) => k.split(' ')[2]!).filter((s) => SHARED_STATUSES.has(s)));
  const declared = routes.flatMap((r) => r.statuses.map((s) => `${r.method} ${r.path} ${s}`));
  return { declared: declared.length, missing: declared.filter((k) => !answered.has(k) && !sharedSeen.has(k.split(' ')[2]!)) };
}

export function readAnswered(): string[] {
  return existsSync(ANSWERED_LOG) ? readFileSync(ANSWERED_LOG, 'utf8').split('\n').filter(Boolean) : [];
}
