import type { Page } from 'playwright-core';
import { invalidRequest } from '../../lib/errors.js';
import { clickLoadMore, contentCountReached, invalidSelector, nodeCounts, scrollToBottom } from './in-page.js';
import { sleep } from './sleep.js';

export interface RenderStrategy {
  waitForSelector?: string;
  waitForSelectorTimeoutMs: number;
  contentSelectors: string[];
  minContentSelectorCount: number;
  maxScrollRounds: number;
  scrollDelayMs: number;
  loadMoreSelectors: string[];
  loadMoreClicks: number;
  stabilizationIterations: number;
  stabilizationIntervalMs: number;
  maxRenderWaitMs: number;
}

export interface RenderStats {
  selector_wait_ms: number | null;
  selector_found: boolean | null;
  content_count: number;
  scroll_rounds: number;
  load_more_clicks: number;
  /** ms from the start of the render loop until node counts held still; null when the cap came first. */
  stable_after_ms: number | null;
}

/** Refuses a selector Chromium cannot parse before any waiting starts (a 400, not a timeout). */
export async function checkSelectors(page: Page, strategy: RenderStrategy): Promise<void> {
  const all = [strategy.waitForSelector, ...strategy.contentSelectors, ...strategy.loadMoreSelectors].filter((s): s is string => !!s);
  if (all.length === 0) return;
  const bad = await page.evaluate(invalidSelector, all);
  if (bad !== null) throw invalidRequest(`"${bad.slice(0, 100)}" is not a valid CSS selector`, 'selector');
}

/**
 * The render loop after DOMContentLoaded: guard selector → content count → auto-scroll →
 * "load more" clicks → node counts stable for N checks. Every step shares one budget
 * (maxRenderWaitMs, and the request's deadline): when it runs out the page is taken as it is.
 */
export async function renderPage(page: Page, s: RenderStrategy, deadline: number, signal: AbortSignal): Promise<RenderStats> {
  const start = Date.now();
  const end = Math.min(start + s.maxRenderWaitMs, deadline);
  const left = () => Math.max(0, end - Date.now());
  const stats: RenderStats = { selector_wait_ms: null, selector_found: null, content_count: 0, scroll_rounds: 0, load_more_clicks: 0, stable_after_ms: null };

  if (s.waitForSelector) {
    const t0 = Date.now();
    stats.selector_found = await page
      .waitForSelector(`css=${s.waitForSelector}`, { state: 'attached', timeout: Math.max(1, Math.min(s.waitForSelectorTimeoutMs, left())) })
      .then(() => true, (error: Error) => (error.name === 'TimeoutError' ? false : Promise.reject(error)));
    stats.selector_wait_ms = Date.now() - t0;
  }
  if (s.contentSelectors.length > 0 && left() > 0) {
    await page
      .waitForFunction(contentCountReached, { selectors: s.contentSelectors, min: s.minContentSelectorCount }, { timeout: Math.max(1, left()), polling: 100 })
      .catch((error: Error) => (error.name === 'TimeoutError' ? undefined : Promise.reject(error)));
  }

  let before = await page.evaluate(nodeCounts, s.contentSelectors);
  // A scroll that waited a full stabilisation interval and saw nothing change is already one steady check.
  let quietScroll = false;
  for (let round = 0; round < s.maxScrollRounds && left() > 0; round++) {
    if (!(await page.evaluate(scrollToBottom))) break;
    stats.scroll_rounds++;
    await sleep(Math.min(s.scrollDelayMs, left()), signal);
    const after = await page.evaluate(nodeCounts, s.contentSelectors);
    const grew = after.height > before.height || after.nodes > before.nodes;
    quietScroll = !grew && after.content === before.content && s.scrollDelayMs >= s.stabilizationIntervalMs;
    before = after;
    if (!grew) break;
  }

  for (let click = 0; click < s.loadMoreClicks && left() > 0; click++) {
    if (!(await page.evaluate(clickLoadMore, s.loadMoreSelectors))) break;
    stats.load_more_clicks++;
    await sleep(Math.min(s.scrollDelayMs, left()), signal);
  }

  let last = await page.evaluate(nodeCounts, s.contentSelectors);
  let steady = quietScroll && stats.load_more_clicks === 0 && last.nodes === before.nodes && last.content === before.content ? 1 : 0;
  while (steady < s.stabilizationIterations && left() > 0) {
    await sleep(Math.min(s.stabilizationIntervalMs, left()), signal);
    const now = await page.evaluate(nodeCounts, s.contentSelectors);
    steady = now.nodes === last.nodes && now.content === last.content ? steady + 1 : 0;
    last = now;
  }
  if (steady >= s.stabilizationIterations) stats.stable_after_ms = Date.now() - start;
  stats.content_count = last.content;
  return stats;
}
