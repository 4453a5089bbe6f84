import type { BrowserContextOptions } from 'playwright-core';

/**
 * A current desktop Chrome on Linux, as sites see it: the real engine version in the UA and
 * client hints, a common laptop viewport, US English. Headless Chromium would otherwise say
 * "HeadlessChrome", which many sites answer with a block page. navigator.webdriver is turned
 * off by a launch flag (see runtime/browser/pool.ts), not by script.
 */
export function desktopProfile(browserVersion: string): BrowserContextOptions {
  const major = browserVersion.split('.')[0] || '140';
  return {
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`,
    viewport: { width: 1366, height: 768 },
    screen: { width: 1366, height: 768 },
    deviceScaleFactor: 1,
    // No `locale`: Playwright would then send a bare "Accept-Language: en-US", which no real Chrome does.
    extraHTTPHeaders: {
      'accept-language': 'en-US,en;q=0.9',
      'sec-ch-ua': `"Chromium";v="${major}", "Google Chrome";v="${major}", "Not_A Brand";v="99"`,
      'sec-ch-ua-mobile': '?0',
      'sec-ch-ua-platform': '"Linux"',
    },
    // Downloads are not pages; service workers would outlive the context's request routing.
    acceptDownloads: false,
    serviceWorkers: 'block',
  };
}
