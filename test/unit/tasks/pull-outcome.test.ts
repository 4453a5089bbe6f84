import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/lib/log.js';
import type { CachedModel } from '../../../src/models/store.js';
import type { ModelCatalog } from '../../../src/tasks/catalog.js';
import { ModelsService, type Puller } from '../../../src/tasks/models/service.js';

const catalog = { manifest: { find: () => undefined }, forget: () => undefined } as unknown as ModelCatalog;
const model = { id: 'org/name', revision: 'abc', sizeBytes: 1 } as CachedModel;

/** A puller whose one shared download the test finishes by hand, as models/pull.ts shares one per id. */
function sharedDownload() {
  let finish!: (error?: Error) => void;
  const done = new Promise<CachedModel>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve(model))));
  const puller: Puller = { pull: () => done };
  return { puller, finish: (error?: Error) => finish(error) };
}

function service(puller: Puller) {
  const outcomes: string[] = [];
  const s = new ModelsService(catalog, undefined as never, puller, silentLogger(), { defaultKeepAliveMs: 0, onPullEnd: (o) => outcomes.push(o) });
  return { s, outcomes };
}

describe('pull outcomes (model_pulls_total)', () => {
  it('reports a shared download once, however many callers waited on it', async () => {
    const { puller, finish } = sharedDownload();
    const { s, outcomes } = service(puller);
    const calls = [s.pull('org/name'), s.pull('org/name'), s.pull('org/name')];
    expect(s.pulls()).toEqual([{ id: 'org/name', progress: { status: 'pulling manifest' }, callers: 3 }]);
    finish();
    await Promise.all(calls);
    expect(outcomes).toEqual(['success']);
    expect(s.pulls()).toEqual([]);
  });

  it('reports a failure as failed, and a download its caller aborted as cancelled', async () => {
    const failing = sharedDownload();
    const a = service(failing.puller);
    const call = a.s.pull('org/name');
    failing.finish(new Error('disk full'));
    await expect(call).rejects.toThrow('disk full');
    expect(a.outcomes).toEqual(['failed']);

    const aborted = sharedDownload();
    const b = service(aborted.puller);
    const controller = new AbortController();
    const pending = b.s.pull('org/name', { signal: controller.signal });
    controller.abort();
    aborted.finish(new Error('aborted'));
    await expect(pending).rejects.toThrow('aborted');
    expect(b.outcomes).toEqual(['cancelled']);
  });
});
