import { z } from '@hono/zod-openapi';

const ms = (max: number, def: number, description: string) => z.number().int().min(0).max(max).default(def).openapi({ description });
const selectors = z.array(z.string().min(1).max(500)).max(50);
const FORMATS = ['markdown', 'text', 'html', 'links', 'screenshot'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const CrawlRequest = z
  .object({
    url: z.string({ error: "you must provide a 'url' (http or https)" }).min(1).max(8192).openapi({ description: 'http(s) URL of the page (no example here on purpose: API fuzzers replay examples, and a test must never reach the internet)' }),
    formats: z
      .array(z.enum(FORMATS, { error: `'formats' entries must be one of ${FORMATS.join(', ')}` }))
      .max(5)
      .default(['markdown', 'text'])
      .openapi({ description: 'What to return besides `text` (always there): markdown, html (the rendered DOM), links (absolute, de-duplicated), screenshot (PNG, base64)' }),
    screenshot: z.boolean().default(false).openapi({ description: 'Same as adding "screenshot" to formats' }),
    full_page: z.boolean().default(false).openapi({ description: 'Screenshot the whole scrollable page, not just the 1366×768 viewport' }),
    only_main_content: z.boolean().default(true).openapi({ description: 'Article only (Readability), without navigation, header, footer, ads' }),
    wait_for_js: z.boolean().default(true).openapi({ description: 'Run the render loop after DOMContentLoaded; false extracts right after it' }),
    wait_for_selector: z.string().min(1).max(500).optional().openapi({ description: 'CSS selector of the first real content: the guard the render loop waits for' }),
    wait_for_selector_timeout: ms(120_000, 15_000, 'How long the guard selector may take (ms); past it the page is taken as it is'),
    content_selectors: selectors.default([]).openapi({ description: 'CSS selectors whose matches must reach min_content_selector_count' }),
    min_content_selector_count: z.number().int().min(0).max(100_000).default(1),
    max_scroll_rounds: z.number().int().min(0).max(100).default(5).openapi({ description: 'Auto-scroll rounds (stops early when the page stops growing)' }),
    scroll_delay_ms: ms(10_000, 250, 'Pause after each scroll and load-more click'),
    load_more_selectors: selectors.default([]).openapi({ description: 'CSS selectors of "load more" controls; default: buttons reading load/show/see/view more' }),
    load_more_clicks: z.number().int().min(0).max(100).default(3),
    stabilization_iterations: z.number().int().min(0).max(50).default(2).openapi({ description: 'Consecutive checks with unchanged node counts before the page counts as rendered' }),
    stabilization_interval_ms: ms(10_000, 150, 'Interval between stabilisation checks'),
    max_render_wait_ms: ms(120_000, 10_000, 'Hard cap on the whole render loop'),
    timeout_ms: z.number().int().min(100).max(600_000).optional().openapi({ description: 'Whole request (robots.txt, throttle, navigation, render); default HEARTH_CRAWL_TIMEOUT' }),
    headers: z
      .record(z.string().regex(HEADER_NAME, 'not a valid header name'), z.string().max(8192).regex(/^[^\r\n\0]*$/, 'header values cannot hold line breaks'))
      .default({})
      .openapi({ description: "Extra request headers, sent to the URL's own origin only" }),
    cookies: z
      .array(z.object({ name: z.string().min(1).max(256), value: z.string().max(4096), path: z.string().startsWith('/').optional() }))
      .max(50)
      .default([])
      .openapi({ description: "Cookies set for the URL's origin before loading" }),
  })
  .strict()
  .openapi('CrawlRequest');

export const CrawlResponse = z
  .object({
    request_id: z.string(),
    url: z.string(),
    final_url: z.string(),
    status_code: z.number().int(),
    title: z.string(),
    text: z.string(),
    markdown: z.string().optional(),
    html: z.string().optional(),
    links: z.array(z.string()).optional(),
    screenshot_base64: z.string().optional(),
    fetch_time_ms: z.number().int(),
    render: z.object({
      selector_wait_ms: z.number().int().nullable(),
      selector_found: z.boolean().nullable(),
      content_count: z.number().int(),
      scroll_rounds: z.number().int(),
      load_more_clicks: z.number().int(),
      stable_after_ms: z.number().int().nullable(),
      console_errors: z.number().int(),
      consent_dismissed: z.boolean(),
      retries: z.number().int(),
      html_bytes: z.number().int(),
    }),
  })
  .openapi('CrawlResponse');
