/**
 * Probes GET /health from its own process, so the latency measured is the
 * server's and not the load generator's busy event loop.
 *   node dist/bench/health-probe.js <base-url> <duration-ms>  → prints {count, p50, p99, max}
 */
import { httpCall, percentile } from './lib.js';

const [url, duration] = process.argv.slice(2);
const end = performance.now() + Number(duration);
const latencies: number[] = [];
while (performance.now() < end) {
  const t = performance.now();
  await httpCall(`${url}/health`, 'GET');
  latencies.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, 2));
}
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ count: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) }));
process.exit(0);
