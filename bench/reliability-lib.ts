/**
 * Reliability scenarios against a running Hearth server on 127.0.0.1: steady load,
 * overload (a queue far smaller than the clients), clients that disconnect
 * mid-request, schemathesis fuzzing from the OpenAPI document, and a soak of
 * mixed traffic. Shared by test/integration/reliability.test.ts (short runs,
 * thresholds asserted) and bench/reliability.ts (long runs, figures printed).
 *
 * Every loop here is bounded in time and count and stops by itself; every
 * request goes to a loopback address.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { type ClientRequest, type IncomingHttpHeaders, Agent, type Server, createServer, request } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface LogLine {
  msg?: string;
  level?: string | number;
  [key: string]: unknown;
}

/** What a scenario needs of the server: where it listens, its pid (RSS), and its JSON log lines so far. */
export interface Target {
  url: string;
  pid: number;
  logs: LogLine[];
}

export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== 'localhost' && host !== '[::1]') throw new Error(`reliability scenarios only target loopback, not ${host}`);
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** A lean keep-alive client (the load generator shares the cores with the server). Status 0: network error. */
export function call(agent: Agent, url: string, method: string, body?: string, timeoutMs = 60_000): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      { method, agent, timeout: timeoutMs, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms: performance.now() - started }));
        res.on('error', (e) => resolve({ status: 0, headers: {}, body: String(e), ms: performance.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (e) => resolve({ status: 0, headers: {}, body: String(e), ms: performance.now() - started }));
    req.end(body);
  });
}

const WORDS = 'river mountain quiet engine silver garden window paper market coffee signal winter yellow planet rhythm ladder harbor violet copper meadow'.split(' ');
/** Deterministic short sentences (~10–20 tokens). */
export const shortText = (i: number): string => Array.from({ length: 8 + (i % 8) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
/** ~80 model tokens. */
export const mediumText = (i: number): string => `document ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(8)}`;
/** Over MiniLM's 256-token limit (truncated to it). */
export const longText = (i: number): string => `document ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(40)}`;

const statusCounts = (replies: Reply[]) => replies.reduce<Record<string, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {});

// ───────────────────────────── load ─────────────────────────────

export interface LoadResult {
  clients: number;
  seconds: number;
  count: number;
  perSecond: number;
  non2xx: number;
  statuses: Record<string, number>;
  p50: number;
  p99: number;
}

/** `clients` loops posting one short text each to /v1/embeddings for `durationMs`. */
export async function loadScenario(target: Target, { clients, durationMs }: { clients: number; durationMs: number }): Promise<LoadResult> {
  assertLoopback(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const replies: Reply[] = [];
  let i = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) replies.push(await call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input: shortText(i++) })));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const ms = sorted(replies.map((r) => r.ms));
  return {
    clients,
    seconds: round(seconds, 1),
    count: replies.length,
    perSecond: round(replies.length / seconds, 1),
    non2xx: replies.filter((r) => r.status < 200 || r.status > 299).length,
    statuses: statusCounts(replies),
    p50: round(percentile(ms, 50)),
    p99: round(percentile(ms, 99)),
  };
}

// ───────────────────────────── overload ─────────────────────────────

export interface OverloadResult {
  clients: number;
  seconds: number;
  count: number;
  accepted: number;
  rejected: number;
  statuses: Record<string, number>;
  /** 503s missing Retry-After or x-should-retry: true, or not `overloaded` JSON. */
  badRejections: number;
  /** Client-observed latency of 503 answers (includes the load generator's own event-loop delays). */
  rejectP50: number;
  rejectP99: number;
  /** Server-side duration_ms of the 503s, from the access log. */
  serverRejectP50: number;
  serverRejectP99: number;
  acceptP50: number;
  acceptP99: number;
  /** From the end of the burst until a request is answered 200. */
  recoveryMs: number;
  /** Of 20 concurrent requests right after recovery, how many were 200. */
  afterBurst200: number;
}

const RAMP_MS = 1_000;

/**
 * `clients` loops against a server with a small HEARTH_MAX_QUEUE, starting over the first
 * second. A client that gets 503 waits as the Retry-After header says (plus up to 50 %
 * jitter), as the OpenAI SDKs do with x-should-retry: a closed loop of clients that
 * retried at once would only measure how long 500 requests queue in the kernel.
 * Rejection latency is reported twice: as the clients saw it (on a shared machine that
 * includes the load generator's own scheduling) and as the server spent it (access log).
 */
export async function overloadScenario(target: Target, { clients, durationMs }: { clients: number; durationMs: number }): Promise<OverloadResult> {
  assertLoopback(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const replies: Reply[] = [];
  const logStart = target.logs.length;
  let i = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      await sleep((c / clients) * RAMP_MS); // clients arrive over the first second, not in one instant
      while (performance.now() < end) {
        const r = await call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input: shortText(i++) }));
        replies.push(r);
        if (r.status === 503) {
          const waitMs = Number(r.headers['retry-after'] ?? 1) * 1000 * (1 + Math.random() * 0.5);
          await sleep(Math.min(waitMs, Math.max(0, end - performance.now())));
        }
      }
    }),
  );
  const burstEnd = performance.now();
  const seconds = (burstEnd - started) / 1000;
  // Recovery: the first 200 after the burst, then 20 at once must all succeed.
  let recoveryMs = NaN;
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input: 'after the storm' }));
    if (r.status === 200) {
      recoveryMs = performance.now() - burstEnd;
      break;
    }
    await sleep(25);
  }
  const after = await Promise.all(Array.from({ length: 20 }, (_, k) => call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input: shortText(k) }))));
  agent.destroy();
  const rejected = replies.filter((r) => r.status === 503);
  const accepted = replies.filter((r) => r.status === 200);
  const badRejections = rejected.filter((r) => {
    try {
      return r.headers['retry-after'] === undefined || r.headers['x-should-retry'] !== 'true' || JSON.parse(r.body).error.code !== 'overloaded';
    } catch {
      return true;
    }
  }).length;
  const serverRejects = sorted(
    target.logs
      .slice(logStart)
      .filter((l) => l.msg === 'request' && l.status === 503)
      .map((l) => l.duration_ms as number),
  );
  const rejectMs = sorted(rejected.map((r) => r.ms));
  const acceptMs = sorted(accepted.map((r) => r.ms));
  return {
    clients,
    seconds: round(seconds, 1),
    count: replies.length,
    accepted: accepted.length,
    rejected: rejected.length,
    statuses: statusCounts(replies),
    badRejections,
    rejectP50: round(percentile(rejectMs, 50)),
    rejectP99: round(percentile(rejectMs, 99)),
    serverRejectP50: round(percentile(serverRejects, 50)),
    serverRejectP99: round(percentile(serverRejects, 99)),
    acceptP50: round(percentile(acceptMs, 50)),
    acceptP99: round(percentile(acceptMs, 99)),
    recoveryMs: round(recoveryMs, 0),
    afterBurst200: after.filter((r) => r.status === 200).length,
  };
}

// ───────────────────────────── aborts ─────────────────────────────

export interface AbortResult {
  clients: number;
  /** Clients that dropped the connection halfway through sending their body. */
  midBody: number;
  /** Clients that sent their whole request, then dropped it while it waited behind the blocker. */
  whileQueued: number;
  /** Texts the doomed clients asked for (none of which may be run). */
  doomedItems: number;
  /** Doomed texts the model ran, counted exactly from the 'batch' lines (their token length differs from the blocker's). */
  ranForDoomed: number;
  /** Blocker texts run before it was dropped too (of `blockerTexts`). */
  blockerRan: number;
  blockerTexts: number;
  /** Texts queued (per /api/status) when the clients left; null without /api/status. */
  queuedBeforeAbort: number | null;
  /** From the last disconnect until /api/status showed an empty queue; NaN without /api/status. */
  queueEmptyAfterAbortMs: number;
  /** From the last disconnect until a probe was served with x-queue-time ≤ 5 ms (the queue was empty when it came). */
  probeEmptyMs: number;
  /** The server is still answering: a request after the scenario. */
  afterStatus: number;
  /** Error-level log lines the aborts caused (e.g. a 500 logged for a client that left). */
  errorLogs: number;
}

type Batch = { size: number; tokens: number };
const batches = (logs: LogLine[], from: number): Batch[] =>
  logs
    .slice(from)
    .filter((l) => l.msg === 'batch')
    .map((l) => ({ size: l.batch_size as number, tokens: l.tokens as number }));

/** Texts waiting in the model's queue, from /api/status; undefined when the server has no such report. */
async function queuedNow(agent: Agent, url: string): Promise<number | undefined> {
  const r = await call(agent, `${url}/api/status`, 'GET');
  if (r.status !== 200) return undefined;
  try {
    const queues = JSON.parse(r.body).queues as Array<{ queued: number }> | undefined;
    return queues?.reduce((s, q) => s + q.queued, 0);
  } catch {
    return undefined;
  }
}

const DOOMED_TEXT = 'a request whose client will not wait for the answer';

/**
 * A blocker request of `blockerTexts` long texts holds the model (oldest first: nothing behind it runs
 * until it is done). Half the clients send their headers and half their body, then disconnect; the
 * other half send everything, wait until it is queued, and disconnect; then the blocker disconnects
 * too. None of the doomed texts may reach the model (counted exactly from the 'batch' debug lines:
 * their token length differs from the blocker's), and the queue must be empty right after.
 * Needs a server logging at debug.
 */
export async function abortScenario(target: Target, { clients, blockerTexts = 256 }: { clients: number; blockerTexts?: number }): Promise<AbortResult> {
  assertLoopback(target.url);
  const { hostname, port } = new URL(target.url);
  const agent = new Agent({ keepAlive: false, maxSockets: clients + 4 });
  const status = new Agent({ keepAlive: true, maxSockets: 1 });
  const embed = (input: unknown) => call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input }));
  // Token lengths of one doomed and one blocker text, from the server's own batch lines.
  const lengthOf = async (text: string) => {
    const from = target.logs.length;
    await embed(text);
    await sleep(20);
    return batches(target.logs, from)[0]?.tokens ?? NaN;
  };
  const doomedLen = await lengthOf(DOOMED_TEXT);
  const blockerLen = await lengthOf(longText(0));
  const logStart = target.logs.length;
  const perClient = 2;

  const blockerReq = request(`${target.url}/v1/embeddings`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } });
  blockerReq.on('error', () => undefined);
  blockerReq.end(JSON.stringify({ model: 'all-minilm', input: Array.from({ length: blockerTexts }, (_, k) => longText(k)) }));
  for (let t = performance.now(); performance.now() - t < 5_000; ) {
    if (((await queuedNow(status, target.url)) ?? 1) > 0) break; // the blocker is queued behind its first run
    await sleep(5);
  }
  const midBody = Math.floor(clients / 2);
  const whileQueued = clients - midBody;
  const doomedBody = JSON.stringify({ model: 'all-minilm', input: Array(perClient).fill(DOOMED_TEXT) });

  const partial = Array.from({ length: midBody }, () =>
    new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(`POST /v1/embeddings HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(doomedBody)}\r\n\r\n`);
        socket.write(doomedBody.slice(0, Math.floor(doomedBody.length / 2)));
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    }),
  );
  const sent: ClientRequest[] = [];
  const queued = Array.from({ length: whileQueued }, () =>
    new Promise<void>((resolve) => {
      const req = request(`${target.url}/v1/embeddings`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(doomedBody) } });
      req.on('error', () => resolve());
      req.on('response', () => resolve()); // answered before we left: then it ran, and ranForDoomed says so
      req.on('close', () => resolve());
      req.end(doomedBody, () => sent.push(req));
    }),
  );
  // Leave once every body is on the wire and the server holds the texts (per /api/status), or 300 ms after.
  const waitStart = performance.now();
  let queuedBeforeAbort: number | undefined;
  while (performance.now() - waitStart < 5_000) {
    queuedBeforeAbort = await queuedNow(status, target.url);
    const allSent = sent.length === whileQueued;
    if (allSent && (queuedBeforeAbort === undefined ? performance.now() - waitStart > 300 : queuedBeforeAbort >= whileQueued * perClient)) break;
    await sleep(5);
  }
  for (const req of sent) req.destroy();
  blockerReq.destroy();
  await Promise.all([...partial, ...queued]);
  const lastDisconnect = performance.now();
  let queueEmptyAfterAbortMs = NaN;
  while (performance.now() - lastDisconnect < 5_000) {
    const q = await queuedNow(status, target.url);
    if (q === undefined) break;
    if (q === 0) {
      queueEmptyAfterAbortMs = performance.now() - lastDisconnect;
      break;
    }
    await sleep(2);
  }
  // Probes (the doomed text, so their runs count the same way) until one finds the queue empty.
  let probes = 0;
  let probeEmptyMs = NaN;
  while (performance.now() - lastDisconnect < 20_000) {
    const r = await call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input: DOOMED_TEXT }));
    if (r.status === 200) probes += 1;
    if (r.status === 200 && Number(r.headers['x-queue-time']) <= 5) {
      probeEmptyMs = performance.now() - lastDisconnect - r.ms;
      break;
    }
  }
  await sleep(50); // the probe's batch line
  // Each run: size = blocker + doomed texts, tokens = blockerLen × blocker + doomedLen × doomed.
  let doomedRan = 0;
  let blockerRan = 0;
  for (const b of batches(target.logs, logStart)) {
    const d = (blockerLen * b.size - b.tokens) / (blockerLen - doomedLen);
    doomedRan += d;
    blockerRan += b.size - d;
  }
  const after = await call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input: 'still serving' }));
  agent.destroy();
  status.destroy();
  const errorLogs = target.logs.slice(logStart).filter((l) => l.level === 'error' || l.level === 'fatal' || (typeof l.level === 'number' && l.level >= 50)).length;
  return {
    clients,
    midBody,
    whileQueued,
    doomedItems: clients * perClient,
    ranForDoomed: round(doomedRan - probes, 2),
    blockerRan: round(blockerRan, 2),
    blockerTexts,
    queuedBeforeAbort: queuedBeforeAbort ?? null,
    queueEmptyAfterAbortMs: round(queueEmptyAfterAbortMs, 1),
    probeEmptyMs: round(Math.max(0, probeEmptyMs), 0),
    afterStatus: after.status,
    errorLogs,
  };
}

// ───────────────────────────── fuzz (schemathesis) ─────────────────────────────

export interface FuzzOperation {
  operation: string;
  cases: number;
  /** Schema-invalid cases, less those that only send a valid JSON body under another Content-Type. */
  negative: number;
  /**
   * A valid JSON body under a non-JSON Content-Type (text/plain…): Hearth reads a body as JSON whatever
   * its Content-Type says (curl -d sends form-urlencoded), by design, so these are answered as valid.
   */
  lenientContentType: number;
  /** Negative (schema-invalid) cases answered 4xx. */
  negative4xx: number;
  statuses: Record<string, number>;
  /** Non-2xx answers whose body is not JSON. */
  nonJsonErrors: number;
  server5xx: number;
  /** Up to 5 invalid cases that were not answered 4xx: what schemathesis sent, what it meant, what came back. */
  negativeNot4xx: Array<{ status: number; description: string; body: unknown }>;
}

export interface FuzzResult {
  exitCode: number | null;
  seconds: number;
  operations: FuzzOperation[];
  totalCases: number;
  /** schemathesis' own failure summary (empty when every check passed). */
  failures: string[];
  /** Cases whose response was not recorded (network errors). */
  unanswered: number;
}

/**
 * Runs schemathesis against the server's /openapi.json, POST operations only (the DELETE routes
 * would remove models), with the checks not_a_server_error, negative_data_rejection (invalid
 * bodies must get 4xx) and content_type_conformance (answers are the documented JSON), then
 * re-counts every recorded interaction from its NDJSON report. The document declares bearer
 * auth, so run the server with HEARTH_API_KEYS and pass `apiKey`: a request without it is then
 * a schema violation that must be refused (401), as schemathesis expects.
 */
export async function fuzzScenario(
  target: Target,
  { schemathesis, maxExamples, seed = 1, timeoutMs, apiKey }: { schemathesis: string; maxExamples: number; seed?: number; timeoutMs: number; apiKey?: string },
): Promise<FuzzResult> {
  assertLoopback(target.url);
  const dir = await mkdtemp(join(tmpdir(), 'hearth-fuzz-'));
  const started = performance.now();
  // One schemathesis run per operation: in one run over all six, the fuzzing phase of some
  // operations stopped after a handful of cases (schemathesis 4.32.5), with no failure reported.
  const res = await fetch(`${target.url}/openapi.json`, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  const names = Object.entries(doc.paths).flatMap(([path, methods]) => (methods.post ? [`POST ${path}`] : []));
  const runs: Array<{ code: number | null; output: string }> = [];
  try {
    for (const name of names) {
      const args = [
        'run',
        `${target.url}/openapi.json`,
        '--include-name',
        name,
        '--checks',
        'not_a_server_error,negative_data_rejection,content_type_conformance',
        '--phases',
        'examples,coverage,fuzzing',
        '--max-examples',
        String(maxExamples),
        '--seed',
        String(seed),
        '--workers',
        '2',
        '--request-timeout',
        '60',
        '--generation-database',
        'none',
        '--suppress-health-check',
        'all',
        '--no-color',
        '--report',
        'ndjson',
        '--report-dir',
        dir,
        // With keys configured, cases without the header (schemathesis' own negative ones) must get 401.
        ...(apiKey ? ['--header', `Authorization: Bearer ${apiKey}`] : []),
      ];
      const left = timeoutMs - (performance.now() - started);
      runs.push(
        await new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = execFile(
            schemathesis,
            [...args, '--report-ndjson-path', join(dir, `${runs.length}.ndjson`)],
            { cwd: dir, timeout: Math.max(1_000, Math.round(left)), maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', PYTHONWARNINGS: 'ignore' } },
            (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
          );
          child.stdin?.end();
        }),
      );
    }
    const code = runs.reduce<number | null>((worst, r) => (r.code === 0 ? worst : r.code), 0);
    const output = runs.map((r) => r.output).join('\n');
    const reports = (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
    if (reports.length < names.length) throw new Error(`schemathesis wrote ${reports.length} reports for ${names.length} operations (exit ${code}):\n${output.slice(-3000)}`);
    const ops = new Map<string, FuzzOperation>();
    let unanswered = 0;
    const lines = (await Promise.all(reports.map((f) => readFile(join(dir, f), 'utf8')))).join('\n').split('\n');
    for (const line of lines) {
      if (!line.startsWith('{"ScenarioFinished"')) continue;
      const scenario = JSON.parse(line).ScenarioFinished;
      if (!scenario.recorder?.cases) continue;
      const label: string = scenario.recorder.label;
      const op = ops.get(label) ?? { operation: label, cases: 0, negative: 0, lenientContentType: 0, negative4xx: 0, statuses: {}, nonJsonErrors: 0, server5xx: 0, negativeNot4xx: [] };
      ops.set(label, op);
      for (const [id, c] of Object.entries<any>(scenario.recorder.cases)) {
        const interaction = scenario.recorder.interactions[id];
        op.cases += 1;
        const contentTypeOnly = c.value?.meta?.phase?.data?.parameter === 'Content-Type' && c.value?.meta?.components?.body?.mode === 'positive';
        const negative = c.value?.meta?.generation?.mode === 'negative' && !contentTypeOnly;
        if (negative) op.negative += 1;
        if (contentTypeOnly) op.lenientContentType += 1;
        const response = interaction?.response;
        if (!response) {
          unanswered += 1;
          continue;
        }
        const status: number = response.status_code;
        op.statuses[status] = (op.statuses[status] ?? 0) + 1;
        if (status >= 500) op.server5xx += 1;
        if (negative && status >= 400 && status < 500) op.negative4xx += 1;
        else if (negative && op.negativeNot4xx.length < 5) {
          op.negativeNot4xx.push({ status, description: JSON.stringify(c.value?.meta ?? {}).slice(0, 800), body: c.value?.body });
        }
        if (status >= 300) {
          const body = response.content?.$base64 !== undefined ? Buffer.from(response.content.$base64, 'base64').toString('utf8') : '';
          try {
            JSON.parse(body);
          } catch {
            op.nonJsonErrors += 1;
          }
        }
      }
    }
    const failures = [...output.matchAll(/^\s*- (ST\d+ .+)$/gm)].map((m) => m[1]!.trim());
    const operations = [...ops.values()].sort((a, b) => a.operation.localeCompare(b.operation));
    return { exitCode: code, seconds: round((performance.now() - started) / 1000, 1), operations, totalCases: operations.reduce((s, o) => s + o.cases, 0), failures, unanswered };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A hub on 127.0.0.1 that has no repos: every lookup is a 404 RepoNotFound. Fuzzed pulls then get
 * the hub's honest answer (404 model_not_found) instead of the 502 an unreachable hub earns.
 */
export async function emptyHub(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json', 'x-error-code': 'RepoNotFound' });
    res.end(JSON.stringify({ error: 'Repository not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ───────────────────────────── soak ─────────────────────────────

export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

export interface SoakResult {
  minutes: number;
  count: number;
  non2xx: number;
  statuses: Record<string, number>;
  byKind: Record<string, { count: number; p50: number; p99: number }>;
  rssStartMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  growthPct: number;
  samples: Array<{ minute: number; rssMiB: number }>;
}

/**
 * Mixed traffic for `minutes` from `clients` loops: OpenAI embeddings (one text and a batch
 * of 16), Ollama /api/embed, /v1/models and /health. RSS is read after a one-minute warm-up
 * (or a tenth of the run, if shorter) and at the end; growth is end over start.
 */
export async function soakScenario(
  target: Target,
  { minutes, clients = 8, onSample }: { minutes: number; clients?: number; onSample?: (s: { minute: number; rssMiB: number; count: number }) => void },
): Promise<SoakResult> {
  assertLoopback(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const kinds: Array<{ name: string; weight: number; run(i: number): Promise<Reply> }> = [
    { name: 'embeddings 1', weight: 5, run: (i) => call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input: shortText(i) })) },
    {
      name: 'embeddings 16 (base64)',
      weight: 2,
      run: (i) => call(agent, `${target.url}/v1/embeddings`, 'POST', JSON.stringify({ model: 'all-minilm', input: Array.from({ length: 16 }, (_, k) => shortText(i + k)), encoding_format: 'base64' })),
    },
    { name: 'ollama embed', weight: 2, run: (i) => call(agent, `${target.url}/api/embed`, 'POST', JSON.stringify({ model: 'all-minilm', input: [shortText(i), mediumText(i)] })) },
    { name: 'models list', weight: 1, run: () => call(agent, `${target.url}/v1/models`, 'GET') },
    { name: 'health', weight: 1, run: () => call(agent, `${target.url}/health`, 'GET') },
  ];
  const wheel = kinds.flatMap((k) => Array<typeof k>(k.weight).fill(k));
  const durationMs = minutes * 60_000;
  const warmMs = Math.min(60_000, durationMs / 10);
  const latencies = new Map<string, number[]>(kinds.map((k) => [k.name, []]));
  const statuses: Record<string, number> = {};
  let count = 0;
  let non2xx = 0;
  let i = 0;
  const started = performance.now();
  const end = started + durationMs;
  let rssStart = NaN;
  let rssMax = 0;
  const samples: SoakResult['samples'] = [];
  const sampler = (async () => {
    await sleep(warmMs);
    rssStart = await rssBytes(target.pid);
    rssMax = rssStart;
    for (let minute = 1; performance.now() < end; minute++) {
      await sleep(Math.min(60_000, Math.max(0, end - performance.now())));
      const rss = await rssBytes(target.pid);
      rssMax = Math.max(rssMax, rss);
      const sample = { minute: Math.round((performance.now() - started) / 60_000), rssMiB: round(rss / 1048576, 1) };
      samples.push(sample);
      onSample?.({ ...sample, count });
    }
  })();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const n = i++;
        const kind = wheel[n % wheel.length]!;
        const r = await kind.run(n);
        count += 1;
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status < 200 || r.status > 299) non2xx += 1;
        latencies.get(kind.name)!.push(r.ms);
      }
    }),
  );
  await sampler;
  const rssEnd = await rssBytes(target.pid);
  agent.destroy();
  const byKind = Object.fromEntries(
    [...latencies].map(([name, xs]) => {
      const s = sorted(xs);
      return [name, { count: s.length, p50: round(percentile(s, 50)), p99: round(percentile(s, 99)) }];
    }),
  );
  return {
    minutes,
    count,
    non2xx,
    statuses,
    byKind,
    rssStartMiB: round(rssStart / 1048576, 1),
    rssEndMiB: round(rssEnd / 1048576, 1),
    rssMaxMiB: round(Math.max(rssMax, rssEnd) / 1048576, 1),
    growthPct: round(((rssEnd - rssStart) / rssStart) * 100, 1),
    samples,
  };
}

// ───────────────────────────── a server for the bench ─────────────────────────────

export interface SpawnedServer extends Target {
  proc: ChildProcess;
  stop(): Promise<number | null>;
}

/** Starts the built server on 127.0.0.1 (ephemeral port), collecting its JSON log lines. */
export async function spawnServer(main: string, env: Record<string, string>, timeoutMs = 60_000): Promise<SpawnedServer> {
  const proc = spawn(process.execPath, [main], {
    // No hub but loopback, and never the developer's data/keys.json (its keys would turn auth on).
    env: {
      ...process.env,
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PORT: '0',
      HEARTH_LOG_LEVEL: 'info',
      HF_ENDPOINT: 'http://127.0.0.1:9',
      HF_TOKEN: '',
      HEARTH_KEYS_FILE: join(tmpdir(), 'hearth-bench-no-such-keys-file.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve((exitCode = code))));
  for (const stream of [proc.stdout!, proc.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: 'stray', line });
      }
    });
  }
  const end = performance.now() + timeoutMs;
  let port: number | undefined;
  while (port === undefined) {
    port = logs.find((l) => l.msg === 'hearth listening')?.port as number | undefined;
    if (exitCode !== undefined) throw new Error(`server exited with ${exitCode}`);
    if (performance.now() > end) throw new Error('server did not start');
    await sleep(20);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    proc,
    logs,
    stop: async () => {
      if (exitCode !== undefined) return exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
  };
}
