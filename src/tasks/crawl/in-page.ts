/**
 * Functions that run inside the page (Playwright serialises them with toString()): no imports,
 * no closures, DOM only. The DOM is typed loosely here so the Node build needs no lib.dom.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare function getComputedStyle(el: any): any;

/** Clicks the first visible consent "accept" control; true when one was clicked. */
export function clickConsent(selectors: string[]): boolean {
  const visible = (el: any) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  for (const sel of selectors) {
    let found: any[] = [];
    try {
      found = Array.from(document.querySelectorAll(sel));
    } catch {
      continue;
    }
    const el = found.find(visible);
    if (el) return el.click(), true;
  }
  const words = /^\s*(accept( all)?( cookies)?|i accept|agree|i agree|allow all|allow cookies|got it)\s*$/i;
  const container = /cookie|consent|gdpr|cmp/i;
  for (const el of Array.from(document.querySelectorAll('button, [role="button"], a')) as any[]) {
    if (!words.test(el.textContent ?? '') || !visible(el)) continue;
    for (let p = el; p; p = p.parentElement) {
      if (container.test(`${p.id} ${typeof p.className === 'string' ? p.className : ''} ${p.getAttribute?.('aria-label') ?? ''}`)) return el.click(), true;
    }
  }
  return false;
}

/** The first selector that is not valid CSS, or null. */
export function invalidSelector(selectors: string[]): string | null {
  for (const sel of selectors) {
    try {
      document.createDocumentFragment().querySelector(sel);
    } catch {
      return sel;
    }
  }
  return null;
}

/** Element count of the page plus matches of the content selectors: the stabilisation signal. */
export function nodeCounts(contentSelectors: string[]): { nodes: number; content: number; height: number } {
  let content = 0;
  for (const sel of contentSelectors) content += document.querySelectorAll(sel).length;
  return { nodes: document.getElementsByTagName('*').length, content, height: document.documentElement.scrollHeight };
}

/** Whether the content selectors together match at least `min` nodes. */
export function contentCountReached({ selectors, min }: { selectors: string[]; min: number }): boolean {
  let n = 0;
  for (const sel of selectors) n += document.querySelectorAll(sel).length;
  return n >= min;
}

/** Scrolls to the bottom; returns whether there was anything below the viewport. */
export function scrollToBottom(): boolean {
  const root = document.scrollingElement ?? document.documentElement;
  const before = window.scrollY;
  window.scrollTo(0, root.scrollHeight);
  return root.scrollHeight > window.innerHeight + 1 && window.scrollY !== before;
}

/** Clicks the first visible, enabled "load more" control: the caller's selectors, else a generic text match. */
export function clickLoadMore(selectors: string[]): boolean {
  const usable = (el: any) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && !el.disabled && el.getAttribute('aria-disabled') !== 'true';
  };
  for (const sel of selectors) {
    const el = (Array.from(document.querySelectorAll(sel)) as any[]).find(usable);
    if (el) return el.scrollIntoView({ block: 'center' }), el.click(), true;
  }
  if (selectors.length > 0) return false;
  const words = /^\s*(load|show|see|view) more\b/i;
  const el = (Array.from(document.querySelectorAll('button, [role="button"], a[href="#"], a:not([href])')) as any[]).find((e) => words.test(e.textContent ?? '') && usable(e));
  if (el) return el.scrollIntoView({ block: 'center' }), el.click(), true;
  return false;
}

/** Every http(s) link of the page, absolute (the browser resolved them), fragment dropped, de-duplicated in order. */
export function pageLinks(): string[] {
  const seen = new Set<string>();
  for (const a of Array.from(document.querySelectorAll('a[href], area[href]')) as any[]) {
    try {
      const url = new URL(a.href, document.baseURI);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      url.hash = '';
      seen.add(url.href);
    } catch {
      /* not a URL */
    }
  }
  return [...seen];
}
