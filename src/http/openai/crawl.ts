import { type OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { Tasks } from '../../tasks/index.js';
import type { AppEnv } from '../env.js';
import { readJson } from '../json-body.js';
import { openAIErrors } from '../responses.js';
import { mount } from '../route.js';
import { CrawlRequest, CrawlResponse } from '../schemas/crawl.js';

export const crawlRoute = createRoute({
  method: 'post',
  path: '/v1/crawl',
  tags: ['Crawl'],
  summary: 'Render a web page in headless Chromium and extract its content',
  description:
    'Navigation waits for DOMContentLoaded, then the render loop (guard selector → auto-scroll → load-more clicks → stable node counts) runs within max_render_wait_ms. ' +
    'Every request the browser makes goes through the egress policy. robots.txt and a per-host throttle are honoured. Caller JavaScript is not accepted.',
  request: { body: { required: true, content: { 'application/json': { schema: CrawlRequest } } } },
  responses: {
    200: { description: 'The rendered page', content: { 'application/json': { schema: CrawlResponse } } },
    // 400 bad input or url_not_allowed; 403 blocked_by_robots; 502 upstream_failed; 503 overloaded / browser_unavailable; 504 upstream_timeout.
    ...openAIErrors([400, 403, 502, 503, 504]),
  },
});

export function mountCrawl(app: OpenAPIHono<AppEnv>, tasks: Tasks): void {
  mount(app, crawlRoute, async (c) => {
    const body = await readJson(c, CrawlRequest);
    const formats = body.screenshot && !body.formats.includes('screenshot') ? [...body.formats, 'screenshot' as const] : body.formats;
    const result = await tasks.crawl.crawl({
      url: body.url,
      formats,
      fullPage: body.full_page,
      waitForJs: body.wait_for_js,
      onlyMainContent: body.only_main_content,
      waitForSelector: body.wait_for_selector,
      waitForSelectorTimeoutMs: body.wait_for_selector_timeout,
      contentSelectors: body.content_selectors,
      minContentSelectorCount: body.content_selectors.length > 0 ? body.min_content_selector_count : 0,
      maxScrollRounds: body.max_scroll_rounds,
      scrollDelayMs: body.scroll_delay_ms,
      loadMoreSelectors: body.load_more_selectors,
      loadMoreClicks: body.load_more_clicks,
      stabilizationIterations: body.stabilization_iterations,
      stabilizationIntervalMs: body.stabilization_interval_ms,
      maxRenderWaitMs: body.max_render_wait_ms,
      timeoutMs: body.timeout_ms,
      headers: body.headers,
      cookies: body.cookies,
      signal: c.req.raw.signal,
    });
    return c.json({ request_id: c.var.requestId, ...result });
  });
}
