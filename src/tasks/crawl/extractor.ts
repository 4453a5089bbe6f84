import { siblingScript } from '../../runtime/worker-model.js';
import { WorkerThread } from '../../runtime/worker-thread.js';
import type { Extracted } from './extract.js';

/**
 * Extraction off the HTTP thread: one worker thread, started on first use and replaced if it dies
 * (a page that crashes the parser fails only its own crawl). Pages are extracted one at a time;
 * the browser's page limit bounds how many wait.
 */
export class ContentExtractor {
  private worker: WorkerThread | undefined;

  extract(html: string, pageUrl: string, onlyMainContent: boolean): Promise<Extracted> {
    this.worker ??= new WorkerThread(siblingScript(import.meta.url, 'extract-worker'), {
      name: 'crawl:extract',
      onExit: () => {
        this.worker = undefined;
      },
    });
    return this.worker.call<Extracted>('extract', { html, pageUrl, onlyMainContent });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
