/** The playground page: one form per task, answers shown as JSON with the equivalent curl line. */
export const PLAYGROUND_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hearth playground</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; }
  header { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 1.3rem; margin: 0; }
  nav { display: flex; gap: .3rem; flex-wrap: wrap; margin: 1rem 0; }
  nav button { border: 1px solid #bbb; background: #f6f6f6; padding: .35rem .8rem; border-radius: .3rem; cursor: pointer; }
  nav button.active { background: #333; color: #fff; border-color: #333; }
  form { display: grid; gap: .5rem; margin-bottom: .8rem; }
  label { display: grid; gap: .2rem; font-weight: 600; }
  input[type=text], input[type=number], textarea { font: inherit; padding: .35rem; border: 1px solid #bbb; border-radius: .3rem; }
  textarea { min-height: 5rem; }
  button[type=submit] { justify-self: start; padding: .4rem 1.2rem; }
  pre { background: #f4f4f4; padding: .7rem; border-radius: .3rem; overflow: auto; white-space: pre-wrap; word-break: break-word; }
  .curl { color: #555; font-size: .85rem; }
  .row { display: flex; gap: 1rem; flex-wrap: wrap; font-weight: normal; }
</style>
</head>
<body>
<header>
  <h1>Hearth playground</h1>
  <label>API key <input id="key" type="text" placeholder="only if the server has keys" autocomplete="off"></label>
  <a href="docs">API reference</a>
</header>
<nav>
  <button class="active" data-tab="embed">Text embeddings</button>
  <button data-tab="image">Image embeddings</button>
  <button data-tab="caption">Captions</button>
  <button data-tab="ocr">OCR</button>
  <button data-tab="crawl">Crawl</button>
  <button data-tab="models">Models</button>
</nav>
<section id="embed">
  <form>
    <label>Model <input id="embed-model" type="text" value="all-minilm"></label>
    <label>Texts, one per line <textarea id="embed-input">The food was delicious and the waiter was kind.
A cat sleeps on the sofa.</textarea></label>
    <button type="submit">Embed</button>
  </form>
  <pre class="curl"></pre><pre class="out"></pre>
</section>
<section id="image" hidden>
  <form>
    <label>Model <input id="image-model" type="text" value="clip"></label>
    <label>Image <input id="image-file" type="file" accept="image/*"></label>
    <button type="submit">Embed</button>
  </form>
  <pre class="curl"></pre><pre class="out"></pre>
</section>
<section id="caption" hidden>
  <form>
    <label>Model (empty: the default captioner) <input id="caption-model" type="text"></label>
    <label>Image <input id="caption-file" type="file" accept="image/*"></label>
    <label>Max tokens <input id="caption-max" type="number" min="1" value="30"></label>
    <button type="submit">Caption</button>
  </form>
  <pre class="curl"></pre><pre class="out"></pre>
</section>
<section id="ocr" hidden>
  <form>
    <label>Image or PDF <input id="ocr-file" type="file" accept="image/*,application/pdf"></label>
    <button type="submit">Read text</button>
  </form>
  <pre class="curl"></pre><pre class="out"></pre>
</section>
<section id="crawl" hidden>
  <form>
    <label>URL <input id="crawl-url" type="text" placeholder="https://example.org/"></label>
    <div class="row">
      <label><input type="checkbox" name="format" value="markdown" checked> markdown</label>
      <label><input type="checkbox" name="format" value="text"> text</label>
      <label><input type="checkbox" name="format" value="links"> links</label>
      <label><input type="checkbox" name="format" value="screenshot"> screenshot</label>
    </div>
    <button type="submit">Crawl</button>
  </form>
  <pre class="curl"></pre><pre class="out"></pre>
</section>
<section id="models" hidden>
  <form><button type="submit">Show models and runtime status</button></form>
  <pre class="curl"></pre><pre class="out"></pre>
</section>
<script src="playground/app.js"></script>
</body>
</html>
`;
