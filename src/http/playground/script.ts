/**
 * The playground's browser script, served as /playground/app.js (the page's CSP allows scripts from
 * this server only, so it cannot be inline). Plain ES2017 for any current browser; no build step.
 */
export const PLAYGROUND_SCRIPT = String.raw`'use strict';
const $ = (sel) => document.querySelector(sel);
const keyInput = $('#key');
keyInput.value = sessionStorage.getItem('hearth-key') || '';
keyInput.addEventListener('change', () => sessionStorage.setItem('hearth-key', keyInput.value.trim()));

const headers = () => {
  const h = { 'content-type': 'application/json' };
  const key = keyInput.value.trim();
  if (key) h.authorization = 'Bearer ' + key;
  return h;
};

// Long vectors would bury the answer: show their length and first values.
const abbreviate = (value) =>
  JSON.stringify(value, (k, v) => (Array.isArray(v) && v.length > 12 && v.every((x) => typeof x === 'number') ? v.slice(0, 8).map((x) => +x.toFixed(5)).concat(['… ' + v.length + ' values']) : typeof v === 'string' && v.length > 2000 ? v.slice(0, 2000) + '… (' + v.length + ' chars)' : v), 2);

async function call(tab, method, path, body) {
  const out = $('#' + tab + ' .out');
  const curl = $('#' + tab + ' .curl');
  out.textContent = 'waiting…';
  const shown = body === undefined ? '' : JSON.stringify(body).replace(/data:[^"]{200,}/g, (m) => m.slice(0, 40) + '…');
  curl.textContent = 'curl -s ' + location.origin + path + (method === 'GET' ? '' : " -H 'content-type: application/json' -d '" + shown + "'");
  const started = performance.now();
  try {
    const res = await fetch(path, { method, headers: headers(), body: body === undefined ? undefined : JSON.stringify(body) });
    const type = res.headers.get('content-type') || '';
    const text = type.includes('json') ? abbreviate(await res.json()) : await res.text();
    out.textContent = res.status + ' ' + res.statusText + ' in ' + Math.round(performance.now() - started) + ' ms\n\n' + text;
    return res;
  } catch (error) {
    out.textContent = 'request failed: ' + error;
  }
}

const fileAsDataUrl = (input) =>
  new Promise((resolve, reject) => {
    const file = input.files[0];
    if (!file) return reject(new Error('choose a file first'));
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

const lines = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);
const optional = (value) => (value.trim() === '' ? undefined : value.trim());

const forms = {
  embed: () => call('embed', 'POST', '/v1/embeddings', { model: $('#embed-model').value.trim(), input: lines($('#embed-input').value) }),
  image: async () => {
    const image = await fileAsDataUrl($('#image-file'));
    return call('image', 'POST', '/v1/embeddings', { model: $('#image-model').value.trim(), modality: 'image', input: [image] });
  },
  caption: async () => {
    const image = await fileAsDataUrl($('#caption-file'));
    return call('caption', 'POST', '/v1/images/captions', { model: optional($('#caption-model').value), image, max_tokens: Number($('#caption-max').value) || undefined });
  },
  ocr: async () => {
    const url = await fileAsDataUrl($('#ocr-file'));
    const pdf = url.startsWith('data:application/pdf');
    return call('ocr', 'POST', '/v1/ocr', { document: pdf ? { type: 'document_url', document_url: url } : { type: 'image_url', image_url: url } });
  },
  crawl: () => call('crawl', 'POST', '/v1/crawl', { url: $('#crawl-url').value.trim(), formats: [...document.querySelectorAll('#crawl input[name=format]:checked')].map((c) => c.value) }),
  models: () => call('models', 'GET', '/api/status'),
};

for (const [name, run] of Object.entries(forms)) {
  $('#' + name + ' form').addEventListener('submit', (event) => {
    event.preventDefault();
    Promise.resolve(run()).catch((error) => ($('#' + name + ' .out').textContent = String(error.message || error)));
  });
}

for (const button of document.querySelectorAll('nav button')) {
  button.addEventListener('click', () => {
    for (const b of document.querySelectorAll('nav button')) b.classList.toggle('active', b === button);
    for (const s of document.querySelectorAll('section')) s.hidden = s.id !== button.dataset.tab;
  });
}
`;
