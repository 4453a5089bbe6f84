import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import TurndownService from 'turndown';

export interface Extracted {
  /** Main content (or the whole body) as HTML, markdown and plain text. */
  contentHtml: string;
  markdown: string;
  text: string;
}

// Never content: scripts and styles, and the chrome every page repeats around its content.
const NEVER = 'script, style, noscript, template, iframe, object, embed, svg, canvas';
const CHROME = 'nav, footer, aside, [role="navigation"], [role="contentinfo"], [role="complementary"]';
const BOILERPLATE = 'nav, header, footer, aside, form, [role="navigation"], [role="banner"], [role="contentinfo"], [role="complementary"], [aria-hidden="true"]';

const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '_' });
turndown.remove(['script', 'style', 'noscript']);

/**
 * Rendered HTML → content. With `onlyMainContent`, Mozilla's Readability (Firefox Reader View)
 * picks the article; a page it finds no article in (too short, a list) falls back to the body
 * minus navigation, header, footer and asides. Markdown by Turndown; text by a block-aware walk.
 */
export function extractContent(html: string, pageUrl: string, onlyMainContent: boolean): Extracted {
  // <base> lets Readability resolve relative links and images against the page's real URL.
  const { document } = parseHTML(html.replace(/<head(\s[^>]*)?>/i, (m) => `${m}<base href="${escapeAttr(pageUrl)}">`));
  for (const el of document.querySelectorAll(NEVER)) el.remove();
  if (onlyMainContent) {
    // Site chrome by its semantics: navigation, footers, asides, and headers outside the article itself.
    for (const el of document.querySelectorAll(CHROME)) el.remove();
    for (const el of document.querySelectorAll('header')) if (!el.parentElement?.closest('article, main')) el.remove();
  }
  let contentHtml: string | undefined;
  if (onlyMainContent) {
    const article = new Readability(document.cloneNode(true) as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 200 }).parse();
    contentHtml = article?.content ?? undefined;
    if (!contentHtml || textOf(parseHTML(`<html><body>${contentHtml}</body></html>`).document.body).trim().length < 50) {
      for (const el of document.querySelectorAll(BOILERPLATE)) el.remove();
      contentHtml = undefined;
    }
  }
  contentHtml ??= document.body?.innerHTML ?? '';
  const { document: content } = parseHTML(`<html><body>${contentHtml}</body></html>`);
  return { contentHtml: contentHtml as string, markdown: turndown.turndown(contentHtml).trim(), text: textOf(content.body) };
}

const BLOCK = new Set(
  'address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr td th ul'.split(' '),
);

/** Text as a reader sees it: blocks on their own lines (paragraphs and headings apart by a blank line), spaces collapsed, pre kept. */
export function textOf(root: { childNodes: ArrayLike<unknown> } | null | undefined): string {
  if (!root) return '';
  // Text runs and line breaks (1: new line, 2: blank line); adjacent breaks merge into the larger.
  const pieces: ({ text: string; pre: boolean } | 1 | 2)[] = [];
  const walk = (node: any, pre: boolean): void => {
    if (node.nodeType === 3) {
      pieces.push({ text: pre ? node.data : node.data.replace(/\s+/g, ' '), pre });
      return;
    }
    if (node.nodeType !== 1) return;
    const tag = String(node.tagName).toLowerCase();
    const block = BLOCK.has(tag);
    if (block) pieces.push(1);
    for (const child of Array.from(node.childNodes as ArrayLike<unknown>)) walk(child, pre || tag === 'pre');
    if (block) pieces.push(tag === 'p' || /^h\d$/.test(tag) ? 2 : 1);
  };
  for (const child of Array.from(root.childNodes)) walk(child, false);
  // Appended to an array and joined once: trimming a growing string at every block is quadratic (5 MB pages).
  const out: string[] = [];
  let pending = 0;
  for (const piece of pieces) {
    if (typeof piece === 'number') {
      pending = Math.max(pending, piece);
      continue;
    }
    let text = piece.text;
    if (!piece.pre && (pending > 0 || out.length === 0)) text = text.replace(/^\s+/, '');
    if (text === '') continue;
    if (pending > 0 && out.length > 0) {
      while (out.length > 0 && /^[ \t]*$/.test(out[out.length - 1]!)) out.pop();
      if (out.length > 0) out[out.length - 1] = out[out.length - 1]!.replace(/[ \t]+$/, '');
      out.push('\n'.repeat(pending));
    }
    pending = 0;
    out.push(text);
  }
  return out.join('').trimEnd();
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
