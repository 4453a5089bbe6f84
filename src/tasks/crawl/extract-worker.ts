/**
 * Worker-thread entry for page extraction: parsing a rendered page (linkedom), Readability and
 * Turndown take a second on a 5 MB page, which must not stall the HTTP thread.
 */
import { serveWorker } from '../../runtime/worker-thread.js';
import { extractContent } from './extract.js';

serveWorker({
  extract: ({ html, pageUrl, onlyMainContent }: { html: string; pageUrl: string; onlyMainContent: boolean }) => ({ result: extractContent(html, pageUrl, onlyMainContent) }),
});
