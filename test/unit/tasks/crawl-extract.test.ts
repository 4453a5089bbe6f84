import { describe, expect, it } from 'vitest';
import { extractContent, textOf } from '../../../src/tasks/crawl/extract.js';
import { ARTICLES, articlePage, groundTruth } from '../../fixtures/crawl/articles.js';
import { parseHTML } from 'linkedom';

describe('extractContent', () => {
  it.each(ARTICLES.map((a, i) => [i, a.layout] as const))('article %i (%s): every ground-truth block, no boilerplate', (i) => {
    const a = ARTICLES[i]!;
    const out = extractContent(articlePage(a), 'http://site.test/article', true);
    for (const block of groundTruth(a).split('\n')) expect(out.text).toContain(block);
    for (const junk of ['Advertisement', 'Copyright 2026', 'Privacy policy', 'Popular posts', 'Subscribe to the newsletter']) expect(out.text).not.toContain(junk);
  });

  it('markdown keeps structure (headings, lists, links made absolute by <base>)', () => {
    const out = extractContent('<html><head><title>t</title></head><body><nav>menu</nav><main><h1>Title</h1><h2>Part</h2><p>' + 'Words in a long paragraph. '.repeat(20) + '<a href="/x">link</a></p><ul><li>one</li><li>two</li></ul></main></body></html>', 'http://site.test/dir/page', true);
    expect(out.markdown).toMatch(/^## Part$/m);
    expect(out.markdown).toMatch(/^- {1,3}one$/m);
    expect(out.markdown).toContain('[link](http://site.test/x)');
  });

  it('a page Readability finds no article in falls back to the body without navigation and footer', () => {
    const out = extractContent('<html><body><nav>Home About</nav><div>Short note worth keeping, with a few more words so it counts.</div><footer>Copyright</footer><script>var x = 1</script></body></html>', 'http://site.test/', true);
    expect(out.text).toBe('Short note worth keeping, with a few more words so it counts.');
  });

  it('only_main_content false keeps everything but scripts and styles', () => {
    const out = extractContent('<html><head><style>p{}</style></head><body><nav>Home</nav><p>Body</p><footer>Foot</footer><script>var x</script></body></html>', 'http://site.test/', false);
    expect(out.text).toBe('Home\nBody\n\nFoot');
  });
});

describe('textOf', () => {
  it('puts blocks on their own lines, collapses spaces, keeps pre', () => {
    const { document } = parseHTML('<html><body><h1>T</h1><p>a   b\n c</p><ul><li>x</li><li>y</li></ul><pre>  keep\n   this</pre></body></html>');
    expect(textOf(document.body)).toBe('T\n\na b c\n\nx\ny\n  keep\n   this');
  });
});
