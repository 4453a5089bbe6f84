/**
 * Reliability benchmark, the long variants of test/integration/reliability.test.ts:
 *
 *   npm run build && nice -n 10 node dist/bench/reliability.js              load 60 s, overload 20 s, aborts, fuzz ≥ 1,000 cases per route
 *   nice -n 10 node dist/bench/reliability.js --only overload,aborts        a subset
 *   nice -n 10 node dist/bench/reliability.js --soak [--soak-minutes 30]    the soak alone (mixed traffic, RSS growth)
 *
 * Every server is the built one on 127.0.0.1 with a fresh HF cache (MiniLM imported from
 * .cache/fixtures, as the tests do); every loop is bounded in time and stops by itself.
 * Run it under `nice`: the load generator shares the cores with the server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/config.js';
import { abortScenario, emptyHub, fuzzScenario, loadScenario, overloadScenario, soakScenario, spawnServer, type SpawnedServer } from './reliability-lib.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'load,overload,aborts,fuzz' },
    soak: { type: 'boolean', default: false },
    'soak-minutes': { type: 'string' },
    'load-seconds': { type: 'string', default: '60' },
    'overload-seconds': { type: 'string', default: '20' },
    'fuzz-examples': { type: 'string', default: '1000' },
    'model-dir': { type: 'string', default: join(packageRoot, '.cache/fixtures/models/minilm-fp32') },
  },
});
const soakMinutes = values['soak-minutes'] !== undefined ? Number(values['soak-minutes']) : values.soak ? 30 : 0;
const parts = new Set(soakMinutes > 0 ? [] : values.only!.split(',').map((s) => s.trim()));
const MAIN = join(packageRoot, 'dist/src/main.js');
const SCHEMATHESIS = join(packageRoot, '.cache/venv/bin/schemathesis');

const hfHome = await mkdtemp(join(tmpdir(), 'hearth-reliability-'));
execFileSync(process.execPath, [join(packageRoot, 'dist/src/cli.js'), 'import', values['model-dir']!, '--as', 'sentence-transformers/all-MiniLM-L6-v2'], {
  env: { ...process.env, HF_HOME: hfHome },
  stdio: 'ignore',
});

async function withServer<T>(env: Record<string, string>, run: (server: SpawnedServer) => Promise<T>): Promise<T> {
  const server = await spawnServer(MAIN, { HF_HOME: hfHome, ...env });
  try {
    await loadScenario(server, { clients: 1, durationMs: 300 }); // model loaded and warm
    return await run(server);
  } finally {
    const code = await server.stop();
    if (code !== 0) console.log(`  (server exited with ${code})`);
  }
}
const errorLines = (s: SpawnedServer) => s.logs.filter((l) => l.level === 'error' || l.level === 'fatal').length;

try {
  console.log(`hearth reliability bench — ${new Date().toISOString()}\n`);
  if (parts.has('load')) {
    await withServer({}, async (server) => {
      const r = await loadScenario(server, { clients: 32, durationMs: Number(values['load-seconds']) * 1000 });
      console.log(`load      32 clients × ${r.seconds} s, one short text per request (POST /v1/embeddings)`);
      console.log(`          ${r.count} requests, ${r.perSecond}/s; non-2xx ${r.non2xx} ${JSON.stringify(r.statuses)}; latency p50 ${r.p50} ms, p99 ${r.p99} ms; error log lines ${errorLines(server)}\n`);
    });
  }
  if (parts.has('overload')) {
    await withServer({ HEARTH_MAX_QUEUE: '64' }, async (server) => {
      const r = await overloadScenario(server, { clients: 512, durationMs: Number(values['overload-seconds']) * 1000 });
      console.log(`overload  512 clients × ${r.seconds} s against HEARTH_MAX_QUEUE=64 (clients honour Retry-After)`);
      console.log(`          ${r.count} requests: ${JSON.stringify(r.statuses)}; 503s without Retry-After/x-should-retry/overloaded: ${r.badRejections}`);
      console.log(`          503 latency p50 ${r.rejectP50} ms, p99 ${r.rejectP99} ms at the client; p50 ${r.serverRejectP50} ms, p99 ${r.serverRejectP99} ms in the server (target p99 ≤ 20 ms)`);
      console.log(`          200 latency p50 ${r.acceptP50} ms, p99 ${r.acceptP99} ms; recovery to 200 ${r.recoveryMs} ms after the burst; ${r.afterBurst200}/20 × 200 right after; error log lines ${errorLines(server)}\n`);
    });
  }
  if (parts.has('aborts')) {
    await withServer({ HEARTH_LOG_LEVEL: 'debug' }, async (server) => {
      const r = await abortScenario(server, { clients: 200, blockerTexts: 256 });
      console.log(`aborts    ${r.clients} clients disconnect mid-request (${r.midBody} halfway through the body, ${r.whileQueued} once queued behind a request of 256 long texts, which then leaves too)`);
      console.log(`          texts run for them: ${r.ranForDoomed} of ${r.doomedItems}; queued when they left ${r.queuedBeforeAbort}; queue empty ${r.queueEmptyAfterAbortMs} ms after the last disconnect (/api/status), a probe found it empty ${r.probeEmptyMs} ms after; blocker ran ${r.blockerRan} of ${r.blockerTexts}; next request ${r.afterStatus}; error log lines ${r.errorLogs}\n`);
    });
  }
  if (parts.has('fuzz')) {
    const hub = await emptyHub();
    try {
      await withServer({ HF_ENDPOINT: hub.url, HEARTH_API_KEYS: 'fuzz-key' }, async (server) => {
        const r = await fuzzScenario(server, { schemathesis: SCHEMATHESIS, maxExamples: Number(values['fuzz-examples']), timeoutMs: 3_600_000, apiKey: 'fuzz-key' });
        console.log(`fuzz      schemathesis (examples, coverage, fuzzing; --max-examples ${values['fuzz-examples']}) on every POST route: ${r.totalCases} cases in ${r.seconds} s, exit ${r.exitCode}, failures ${r.failures.length ? r.failures.join('; ') : 'none'}`);
        for (const op of r.operations) {
          const pct = op.negative ? ((100 * op.negative4xx) / op.negative).toFixed(1) : 'n/a';
          console.log(
            `          ${op.operation.padEnd(24)} ${String(op.cases).padStart(5)} cases, ${String(op.negative).padStart(5)} invalid → ${pct} % 4xx; 5xx ${op.server5xx}; non-JSON errors ${op.nonJsonErrors}; statuses ${JSON.stringify(op.statuses)}`,
          );
          for (const n of op.negativeNot4xx) console.log(`            invalid but ${n.status}: ${JSON.stringify(n.body).slice(0, 200)} — ${n.description.slice(0, 200)}`);
        }
        console.log(`          server error log lines ${errorLines(server)}\n`);
      });
    } finally {
      await hub.close();
    }
  }
  if (soakMinutes > 0) {
    await withServer({}, async (server) => {
      console.log(`soak      ${soakMinutes} min of mixed traffic from 8 clients (embeddings ×1 and ×16 base64, Ollama embed, /v1/models, /health)`);
      const r = await soakScenario(server, { minutes: soakMinutes, onSample: (s) => console.log(`          minute ${s.minute}: RSS ${s.rssMiB} MiB, ${s.count} requests so far`) });
      console.log(`          ${r.count} requests, non-2xx ${r.non2xx} ${JSON.stringify(r.statuses)}`);
      for (const [kind, k] of Object.entries(r.byKind)) console.log(`          ${kind.padEnd(24)} ${String(k.count).padStart(7)} × p50 ${k.p50} ms, p99 ${k.p99} ms`);
      console.log(`          RSS after warm-up ${r.rssStartMiB} MiB → end ${r.rssEndMiB} MiB (max ${r.rssMaxMiB} MiB): growth ${r.growthPct} %; error log lines ${errorLines(server)}\n`);
    });
  }
} finally {
  await rm(hfHome, { recursive: true, force: true });
}
