import type { IncomingMessage, ServerResponse } from 'node:http';
import { ARTICLES, articlePage } from '../fixtures/crawl/articles.js';
import { type LoopbackServer, startLoopbackServer } from './loopback.js';

/**
 * The crawl fixture site, on 127.0.0.1 (the test config's only allowlisted address). Each path is
 * one situation from the seed's crawl practices; `canary` is an address outside the allowlist
 * that pages try to reach through redirects, iframes, fetch, images and WebSockets.
 */
export interface FixtureSite extends LoopbackServer {
  /** Requests per path, in arrival order, with their time (for throttle and backoff checks). */
  hits: { path: string; at: number; headers: IncomingMessage['headers'] }[];
}

const page = (title: string, body: string, head = '') => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`;

export async function startFixtureSite(canaries: { v4: string; v6?: string }): Promise<FixtureSite> {
  const hits: FixtureSite['hits'] = [];
  const rateLimited = new Set<string>();
  const held: ServerResponse[] = [];
  const site = await startLoopbackServer('127.0.0.1', (req, res) => route(req, res));
  const send = (res: ServerResponse, html: string, status = 200, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(html);

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', site.url);
    hits.push({ path: url.pathname + url.search, at: Date.now(), headers: req.headers });
    const p = url.pathname;
    if (p === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private/\n\nUser-agent: Hearth\nDisallow: /private/\nDisallow: /no-hearth\n');
    // 204, not 404: a 404 favicon is a console error on some loads and not others.
    if (p === '/favicon.ico') return void res.writeHead(204).end();
    const article = /^\/article\/(\d+)$/.exec(p);
    if (article && ARTICLES[Number(article[1])]) return send(res, articlePage(ARTICLES[Number(article[1])]!));
    switch (p) {
      case '/spa':
        return send(res, page('SPA', '<div id="app">Loading…</div><script>setTimeout(() => { document.getElementById("app").innerHTML = "<main><h1>Rendered late</h1><p id=\\"spa-ready\\">The single page app rendered this paragraph after a delay of eight hundred milliseconds.</p></main>"; }, 800);</script>'));
      case '/infinite':
        return send(
          res,
          page(
            'Infinite',
            `<main id="feed"></main><script>
              let n = 0; const feed = document.getElementById('feed');
              const more = () => { for (let i = 0; i < 10 && n < 50; i++) { const d = document.createElement('article'); d.className = 'post'; d.style.height = '200px'; d.textContent = 'Feed post number ' + (++n); feed.appendChild(d); } };
              more();
              let busy = false;
              addEventListener('scroll', () => { if (busy || innerHeight + scrollY < document.body.scrollHeight - 50) return; busy = true; setTimeout(() => { more(); busy = false; }, 100); });
            </script>`,
          ),
        );
      case '/load-more':
        return send(
          res,
          page(
            'Load more',
            `<ul id="list"></ul><button class="load-more" type="button">Load more</button><script>
              let n = 0; const list = document.getElementById('list'); const btn = document.querySelector('.load-more');
              const add = () => { for (let i = 0; i < 5; i++) { const li = document.createElement('li'); li.className = 'entry'; li.textContent = 'Catalogue entry ' + (++n); list.appendChild(li); } if (n >= 20) btn.remove(); };
              add(); btn.addEventListener('click', () => setTimeout(add, 50));
            </script>`,
          ),
        );
      case '/consent': {
        const accepted = /(^|;\s*)consent=yes/.test(req.headers.cookie ?? '');
        const modal = accepted
          ? ''
          : `<div id="cookie-consent" style="position:fixed;inset:0;background:#0008"><div class="cookie-banner"><p>We use cookies.</p><button id="accept">Accept all</button></div></div>`;
        return send(
          res,
          page(
            'Consent',
            `${modal}<main id="content"></main><script>
              const show = () => { document.getElementById('content').innerHTML = '<h1>Members area</h1><p>This text only appears once the visitor has accepted the cookie banner.</p>'; };
              if (document.cookie.includes('consent=yes')) show();
              document.getElementById('accept')?.addEventListener('click', () => { document.cookie = 'consent=yes; path=/; max-age=3600'; document.getElementById('cookie-consent').remove(); show(); });
            </script>`,
          ),
        );
      }
      case '/long-lived':
        return send(res, page('Long-lived', `<main><h1>Live ticker</h1><p>The ticker page keeps a request open forever, so network idle never comes.</p></main><script>fetch('/hold'); new EventSource('/hold');</script>`));
      case '/hold':
        held.push(res);
        return void res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
      case '/redirect/1':
        return void res.writeHead(302, { location: '/redirect/2' }).end();
      case '/redirect/2':
        return void res.writeHead(301, { location: `${site.url}/redirect/3` }).end();
      case '/redirect/3':
        return void res.writeHead(307, { location: '/article/0' }).end();
      case '/redirect-private':
        return void res.writeHead(302, { location: '/private/secret' }).end();
      case '/redirect-canary':
        return void res.writeHead(302, { location: `http://${canaries.v4}/landed` }).end();
      case '/redirect-canary-v6':
        return void res.writeHead(302, { location: `http://${canaries.v6}/landed` }).end();
      case '/redirect-file':
        return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      case '/js-redirect-canary':
        return send(res, page('Bounce', `<p>Bouncing</p><script>location.href = 'http://${canaries.v4}/js';</script>`));
      case '/reach-canary':
        // Everything a page can do to reach another host: frames, images, scripts, fetch, XHR, beacons, WebSockets, https.
        return send(
          res,
          page(
            'Embedding page',
            `<main><h1>Embedding page</h1><p>This allowed page tries to reach the canary in every way a page can.</p></main>
             <iframe src="http://${canaries.v4}/frame"></iframe>
             <img src="http://${canaries.v4}/img.png"><img src="https://${canaries.v4}/img.png">
             <script src="http://${canaries.v4}/script.js"></script>
             ${canaries.v6 ? `<iframe src="http://${canaries.v6}/frame"></iframe>` : ''}
             <script>
               fetch('http://${canaries.v4}/fetch').catch(() => {});
               fetch('https://${canaries.v4}/fetch').catch(() => {});
               ${canaries.v6 ? `fetch('http://${canaries.v6}/fetch').catch(() => {});` : ''}
               const x = new XMLHttpRequest(); x.open('GET', 'http://${canaries.v4}/xhr'); x.send();
               navigator.sendBeacon('http://${canaries.v4}/beacon', 'x');
               try { new WebSocket('ws://${canaries.v4}/ws'); } catch {}
               try { new WebSocket('wss://${canaries.v4}/ws'); } catch {}
             </script>`,
          ),
        );
      case '/rate-limited': {
        const key = url.searchParams.get('key') ?? '';
        if (!rateLimited.has(key)) {
          rateLimited.add(key);
          return send(res, page('Slow down', '<p>Too many requests</p>'), 429, { 'retry-after': '1' });
        }
        return send(res, page('Patience', '<main><p>Thanks for waiting the second the server asked for.</p></main>'));
      }
      case '/always-429':
        return send(res, page('Slow down', '<p>Too many requests</p>'), 429, { 'retry-after': '120' });
      case '/slow':
        held.push(res);
        return; // never answers
      case '/hang-render':
        return send(res, page('Hanging', '<main><p>Content that is there, while the selector the caller waits for never appears.</p></main>'));
      case '/big': {
        const para = '<p>' + 'Bulk paragraph text for the five megabyte page. '.repeat(20) + '</p>';
        const count = Math.ceil((5 * 1024 * 1024) / para.length);
        return send(res, page('Big', `<main><h1>Big page</h1>${para.repeat(count)}<p id="end">End of the big page.</p></main>`));
      }
      case '/fingerprint':
        return send(
          res,
          page('Fingerprint', `<main><p id="fp"></p></main><script>document.getElementById('fp').textContent = 'webdriver=' + navigator.webdriver + ' ua=' + navigator.userAgent + ' lang=' + navigator.language + ' width=' + innerWidth;</script>`),
        );
      case '/storage':
        // What an earlier crawl could leave behind in a reused tab: storage, a cookie, a cached response, history.
        return send(
          res,
          page(
            'Storage',
            `<main><p id="out"></p></main><script>
              const seen = ['local=' + localStorage.getItem('k'), 'session=' + sessionStorage.getItem('k'), 'cookie=' + (document.cookie.includes('left=1') ? 'yes' : 'no')];
              localStorage.setItem('k', 'x'); sessionStorage.setItem('k', 'x'); document.cookie = 'left=1; path=/; max-age=600';
              indexedDB.open('db').onsuccess = (e) => { const stores = e.target.result.objectStoreNames.length; document.getElementById('out').textContent = seen.join(' ') + ' idb=' + stores; };
              indexedDB.open('db').onupgradeneeded = (e) => e.target.result.createObjectStore('s');
            </script>`,
          ),
        );
      case '/console-errors':
        return send(res, page('Errors', `<main><p>A page whose scripts complain while it loads.</p></main><script>console.error('first complaint');</script><script>throw new Error('second complaint');</script>`));
      case '/echo-headers':
        return send(res, page('Headers', `<main><pre>${Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v).replace(/</g, '&lt;')}`).join('\n')}</pre></main>`));
      case '/links':
        return send(
          res,
          page('Links', `<main><p>Links page with enough words to be content.</p><a href="/article/0">one</a><a href="/article/0#frag">again</a><a href="article/1">rel</a><a href="${site.url}/article/1">abs</a><a href="mailto:a@b.c">mail</a><a href="javascript:void 0">js</a></main>`),
        );
      case '/private/secret':
      case '/no-hearth':
        return send(res, page('Secret', '<p>Crawlers must not see this.</p>'));
      case '/status-404':
        return send(res, page('Missing', '<main><p>This page does not exist, the server says so with a 404.</p></main>'), 404);
      default:
        return send(res, page('Not found', '<p>no such fixture</p>'), 404);
    }
  }

  const close = site.close;
  return Object.assign(site, {
    hits,
    close: async () => {
      for (const res of held) res.destroy();
      await close();
    },
  });
}
