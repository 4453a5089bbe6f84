import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTICLES, articlePage, groundTruth } from '../fixtures/crawl/articles.js';
import { type CrawlRig, startCrawlRig } from '../helpers/crawl.js';
import { PYTHON, ROOT } from '../helpers/paths.js';
import { tokenF1 } from '../helpers/token-f1.js';

/**
 * Main-text quality: token F1 of /v1/crawl's `text` against each fixture article's ground
 * truth, next to trafilatura's F1 on the same HTML, computed in this run.
 */
describe('POST /v1/crawl: main-text quality vs trafilatura', () => {
  let rig: CrawlRig;
  beforeAll(async () => {
    rig = await startCrawlRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('Hearth F1 ≥ trafilatura F1 on the fixture articles', async () => {
    const urls = ARTICLES.map((_, i) => `${rig.site.url}/article/${i}`);
    const hearth: string[] = [];
    for (const url of urls) {
      const { status, json } = await rig.crawl({ url, formats: ['text'] });
      expect(status).toBe(200);
      hearth.push(json.text);
    }
    const input = JSON.stringify(ARTICLES.map((a, i) => ({ url: urls[i], html: articlePage(a) })));
    const out = JSON.parse(execFileSync(PYTHON, [join(ROOT, 'test/python/trafilatura_extract.py')], { input, encoding: 'utf8' })) as { version: string; texts: string[] };
    expect(out.version).toBe('2.3.1');
    const rows = ARTICLES.map((a, i) => ({ layout: a.layout, hearth: tokenF1(hearth[i]!, groundTruth(a)), trafilatura: tokenF1(out.texts[i]!, groundTruth(a)) }));
    const mean = (k: 'hearth' | 'trafilatura') => rows.reduce((s, r) => s + r[k].f1, 0) / rows.length;
    console.log(
      ['layout          hearth F1 (P/R)        trafilatura F1 (P/R)', ...rows.map((r) => `${r.layout.padEnd(15)} ${fmt(r.hearth)}   ${fmt(r.trafilatura)}`), `mean            ${mean('hearth').toFixed(3)}                  ${mean('trafilatura').toFixed(3)}`].join('\n'),
    );
    expect(mean('hearth')).toBeGreaterThanOrEqual(mean('trafilatura'));
    for (const r of rows) expect(r.hearth.f1).toBeGreaterThanOrEqual(0.9);
  });
});

const fmt = (m: { precision: number; recall: number; f1: number }) => `${m.f1.toFixed(3)} (${m.precision.toFixed(2)}/${m.recall.toFixed(2)})`;
