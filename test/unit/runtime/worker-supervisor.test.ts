import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { HearthError } from '../../../src/lib/errors.js';
import { type SupervisorOptions, WorkerJobError, WorkerSupervisor } from '../../../src/runtime/workers/supervisor.js';

const script = fileURLToPath(new URL('./fixtures/fake-worker.ts', import.meta.url));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sup: WorkerSupervisor | undefined;
afterEach(async () => {
  await sup?.close(500);
  sup = undefined;
});

function make(overrides: Partial<SupervisorOptions> = {}): WorkerSupervisor {
  sup = new WorkerSupervisor({
    name: 'fake',
    script,
    init: {},
    execArgv: ['--import', 'tsx'],
    idleTimeoutMs: 5_000,
    jobTimeoutMs: 5_000,
    startTimeoutMs: 15_000,
    concurrency: 1,
    maxQueue: 4,
    backoff: { initialMs: 10, maxMs: 50 },
    ...overrides,
  });
  return sup;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('WorkerSupervisor', () => {
  it('spawns on first use, stays warm, and exits after the idle timeout', async () => {
    const s = make({ idleTimeoutMs: 400 });
    expect(s.status().state).toBe('stopped');
    expect(await s.run({ op: 'echo', value: { a: new Float32Array([1, 2]) } })).toEqual({ a: new Float32Array([1, 2]) });
    const pid = (await s.run({ op: 'pid' })) as number;
    expect(s.status()).toMatchObject({ state: 'idle', warm: true, pid, restarts: 0 });
    expect(await s.run({ op: 'pid' })).toBe(pid);
    await sleep(300);
    expect(s.status().state).toBe('idle');
    for (let i = 0; i < 250 && s.status().state !== 'stopped'; i++) await sleep(20);
    expect(s.status()).toMatchObject({ state: 'stopped', warm: false, pid: null });
    expect(s.status().lastExit?.expected).toBe(true);
    expect(alive(pid)).toBe(false);
    // Next use spawns again; an idle exit is not a crash.
    expect(await s.run({ op: 'pid' })).not.toBe(pid);
    expect(s.status()).toMatchObject({ restarts: 1, crashes: 0 });
  }, 30_000);

  it('a crash fails only the job in flight, fast; queued jobs run in a respawned child', async () => {
    const s = make();
    const first = (await s.run({ op: 'pid' })) as number;
    const t = Date.now();
    const crash = s.run({ op: 'crash' });
    const queued = s.run({ op: 'echo', value: 'after' });
    const e = await rejection(crash);
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(e).toBeInstanceOf(HearthError);
    expect((e as HearthError).code).toBe('inference_failed');
    expect(await queued).toBe('after');
    expect(await s.run({ op: 'pid' })).not.toBe(first);
    expect(s.status()).toMatchObject({ crashes: 1, restarts: 1, circuit: 'closed' });
  }, 30_000);

  it('a hung job is failed at its timeout and the child SIGKILLed', async () => {
    const s = make({ jobTimeoutMs: 300 });
    const pid = (await s.run({ op: 'pid' })) as number;
    const t = Date.now();
    const e = await rejection(s.run({ op: 'hang' }));
    expect(Date.now() - t).toBeLessThan(1_300);
    expect((e as HearthError).code).toBe('inference_failed');
    expect((e as Error).message).toMatch(/longer than 300 ms/);
    await sleep(200);
    expect(alive(pid)).toBe(false);
    expect(await s.run({ op: 'echo', value: 1 })).toBe(1);
  }, 30_000);

  it('with several jobs in flight, only the hung one fails; the others are retried', async () => {
    const s = make({ jobTimeoutMs: 400, concurrency: 3 });
    await s.run({ op: 'pid' });
    const hang = s.run({ op: 'hang' });
    const other = s.run({ op: 'sleep', ms: 50 });
    expect(((await rejection(hang)) as HearthError).code).toBe('inference_failed');
    expect(await other).toBe(50);
  }, 30_000);

  it('a job error is the job’s own and leaves the worker up', async () => {
    const s = make();
    const pid = await s.run({ op: 'pid' });
    const e = await rejection(s.run({ op: 'fail', code: 'invalid_request' }));
    expect(e).toBeInstanceOf(WorkerJobError);
    expect(e).toMatchObject({ code: 'invalid_request', message: 'job refused' });
    expect(await s.run({ op: 'pid' })).toBe(pid);
  }, 30_000);

  it('three crashes in the window open the circuit (503 + Retry-After) until a probe succeeds', async () => {
    const s = make({ circuitOpenMs: 600 });
    for (let i = 0; i < 3; i++) await rejection(s.run({ op: 'crash' }));
    expect(s.status().circuit).toBe('open');
    const refused = (await rejection(s.run({ op: 'echo', value: 1 }))) as HearthError;
    expect(refused.code).toBe('model_load_failed');
    expect(refused.retryAfterS).toBeGreaterThanOrEqual(1);
    await sleep(700);
    expect(s.status().circuit).toBe('half_open');
    // The probe crashes: the circuit reopens, for longer.
    await rejection(s.run({ op: 'crash' }));
    expect(s.status().circuit).toBe('open');
    await sleep(1_300);
    expect(await s.run({ op: 'echo', value: 'probe' })).toBe('probe');
    expect(s.status()).toMatchObject({ circuit: 'closed', recentCrashes: 0 });
  }, 30_000);

  it('bounds the queue: beyond concurrency + maxQueue, 503 overloaded', async () => {
    const s = make({ maxQueue: 1 });
    const a = s.run({ op: 'sleep', ms: 300 });
    const b = s.run({ op: 'sleep', ms: 10 });
    const e = (await rejection(s.run({ op: 'sleep', ms: 10 }))) as HearthError;
    expect(e.code).toBe('overloaded');
    expect(e.retryAfterS).toBe(1);
    expect(await a).toBe(300);
    expect(await b).toBe(10);
  }, 30_000);

  it('a failing init fails waiting jobs with 503 and is retried on the next job', async () => {
    const s = make({ init: { failInit: true } });
    const e = (await rejection(s.run({ op: 'echo', value: 1 }))) as HearthError;
    expect(e.code).toBe('model_load_failed');
    expect(e.message).toMatch(/init refused/);
    for (let i = 0; i < 50 && s.status().state !== 'stopped'; i++) await sleep(20);
    expect(s.status()).toMatchObject({ state: 'stopped', crashes: 1 });
  }, 30_000);

  it('a queued job whose client went away is dropped', async () => {
    const s = make();
    const a = s.run({ op: 'sleep', ms: 200 });
    const ac = new AbortController();
    const b = s.run({ op: 'echo', value: 1 }, ac.signal);
    ac.abort();
    expect(((await rejection(b)) as HearthError).code).toBe('client_closed');
    expect(await a).toBe(200);
  }, 30_000);

  it('close() stops the child', async () => {
    const s = make();
    const pid = (await s.run({ op: 'pid' })) as number;
    await s.close();
    expect(alive(pid)).toBe(false);
    expect(((await rejection(s.run({ op: 'pid' }))) as HearthError).code).toBe('overloaded');
  }, 30_000);
});
