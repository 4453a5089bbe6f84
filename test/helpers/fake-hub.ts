import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A Hugging Face hub on 127.0.0.1 for tests, serving repos from folders or in-memory files with
 * the endpoints and headers huggingface_hub 2.4.0 and Hearth's HubClient use:
 *   GET  /api/models/{org}/{name}/revision/{rev}[?blobs=true]   {id, sha, siblings}
 *   GET  /api/models/{org}/{name}/tree/{rev}[?recursive=true]   [{type, oid, size, path, lfs?}]
 *   HEAD|GET /{org}/{name}/resolve/{rev}/{path}                 regular file: 200, ETag "<git sha1>";
 *        LFS file (≥ 10 MB, *.onnx, *.safetensors): 302 to /lfs/<sha256> with X-Linked-Etag/-Size
 *   HEAD|GET /lfs/<sha256>?commit=…                             the LFS bytes
 * Every answer about a repo carries X-Repo-Commit; errors carry X-Error-Code like the hub's.
 * huggingface_hub follows a same-host redirect on HEAD and reads the metadata from the final
 * response, so /lfs answers carry X-Repo-Commit and the sha256 ETag too. No xet headers are
 * sent, which makes huggingface_hub use plain HTTP. Range requests get 206.
 */

export interface FakeRepoSpec {
  /** Folder whose files make the repo (recursively). */
  dir?: string;
  /** In-memory files (added to `dir`'s); keys may be anything, even hostile paths. */
  files?: Record<string, string | Buffer>;
  commit?: string;
  /** Requests need "Authorization: Bearer <token>". private: listing and files refused; gated: files refused. */
  access?: { token: string; mode: 'private' | 'gated' };
}

export interface Fault {
  /** Send this many body bytes, then drop the connection. */
  cutAfter?: number;
  /** Flip the bytes of the body (same length). */
  corrupt?: boolean;
  /** Send the body `dripBytes` at a time every `dripMs`. */
  dripBytes?: number;
  dripMs?: number;
  /** Answer a Range request with the whole file and 200, as some CDNs do. */
  ignoreRange?: boolean;
  /** How many GETs of the file the fault applies to (default 1). */
  times?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  range?: string;
  bytes: number;
  authorization?: string;
}

interface RepoFile {
  path: string;
  data: Buffer;
  sha1: string;
  sha256: string;
  lfs: boolean;
  blobId: string;
}

interface Repo {
  id: string;
  commit: string;
  files: Map<string, RepoFile>;
  access?: FakeRepoSpec['access'];
}

const LFS_MIN = 10 * 1024 * 1024;
export const gitSha1 = (data: Buffer): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export class FakeHub {
  readonly requests: RequestRecord[] = [];
  private readonly faults = new Map<string, Fault>();
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly repos: Map<string, Repo>,
  ) {}

  static async start(specs: Record<string, FakeRepoSpec>): Promise<FakeHub> {
    const repos = new Map<string, Repo>();
    for (const [id, spec] of Object.entries(specs)) repos.set(id, await loadRepo(id, spec));
    let hub: FakeHub | undefined;
    const server = createServer((req, res) => void hub!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hub = new FakeHub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, repos);
    server.on('connection', (socket) => {
      hub!.sockets.add(socket);
      socket.on('close', () => hub!.sockets.delete(socket));
    });
    return hub;
  }

  commitOf(id: string): string {
    return this.repo(id).commit;
  }

  file(id: string, path: string): RepoFile {
    const file = this.repo(id).files.get(path);
    if (!file) throw new Error(`fake hub: ${id} has no ${path}`);
    return file;
  }

  /** The blob name huggingface_hub gives the file: sha256 for LFS, git sha1 otherwise. */
  etagOf(id: string, path: string): string {
    const file = this.file(id, path);
    return file.lfs ? file.sha256 : file.sha1;
  }

  fault(id: string, path: string, fault: Fault): void {
    this.faults.set(`${id}:${path}`, { times: 1, ...fault });
  }

  /** GETs that served the bytes of a file (the resolve GET of a regular file, the /lfs GET of an LFS file). */
  contentRequests(id: string, path: string): RequestRecord[] {
    const file = this.file(id, path);
    const target = file.lfs ? `/lfs/${file.sha256}` : `/${id}/resolve/`;
    return this.requests.filter(
      (r) => r.method === 'GET' && (file.lfs ? r.path === target : r.path.startsWith(target) && decodeURIComponent(r.path).endsWith(`/${path}`)),
    );
  }

  count(filter: (r: RequestRecord) => boolean = () => true): number {
    return this.requests.filter(filter).length;
  }

  /** Resolve/lfs requests of any kind: zero means nothing was downloaded. */
  downloads(): RequestRecord[] {
    return this.requests.filter((r) => r.path.includes('/resolve/') || r.path.startsWith('/lfs/'));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private repo(id: string): Repo {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`fake hub: no repo ${id}`);
    return repo;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, status: 0, bytes: 0 };
    if (req.headers.range) record.range = req.headers.range;
    if (req.headers.authorization) record.authorization = req.headers.authorization;
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    res.on('close', () => (record.status ||= res.statusCode));
    try {
      await this.route(req, res, url, record);
    } catch (e) {
      if (!res.headersSent) this.error(res, 500, 'Internal', String(e));
      else res.destroy();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, record: RequestRecord): Promise<void> {
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'models' && parts.length >= 6) {
      const repo = this.findRepo(`${parts[2]}/${parts[3]}`, res);
      if (!repo || !this.allowed(req, res, repo, 'api')) return;
      const commit = this.revision(repo, parts[5]!, res);
      if (!commit) return;
      if (parts[4] === 'revision') return this.json(res, repo, revisionBody(repo, url.searchParams.get('blobs') === 'true'));
      if (parts[4] === 'tree') return this.json(res, repo, treeBody(repo, parts.slice(6).join('/'), /^true$/i.test(url.searchParams.get('recursive') ?? '')));
    }
    if (parts[0] === 'lfs' && parts.length === 2) {
      const found = [...this.repos.values()].flatMap((r) => [...r.files.values()].map((f) => ({ r, f }))).find(({ f }) => f.lfs && f.sha256 === parts[1]);
      if (!found) return this.error(res, 404, 'EntryNotFound', 'no such LFS object');
      res.setHeader('X-Repo-Commit', url.searchParams.get('commit') ?? found.r.commit);
      res.setHeader('ETag', `"${found.f.sha256}"`);
      return this.sendBytes(req, res, found.r, found.f, record);
    }
    if (parts.length >= 5 && parts[2] === 'resolve') {
      const repo = this.findRepo(`${parts[0]}/${parts[1]}`, res);
      if (!repo || !this.allowed(req, res, repo, 'file')) return;
      const commit = this.revision(repo, parts[3]!, res);
      if (!commit) return;
      const file = repo.files.get(parts.slice(4).join('/'));
      res.setHeader('X-Repo-Commit', commit);
      if (!file) return this.error(res, 404, 'EntryNotFound', 'Entry not found');
      if (file.lfs) {
        res.setHeader('X-Linked-Etag', `"${file.sha256}"`);
        res.setHeader('X-Linked-Size', String(file.data.length));
        res.setHeader('ETag', `"${file.blobId}"`);
        res.setHeader('Location', `/lfs/${file.sha256}?commit=${commit}`);
        res.setHeader('Content-Length', '0');
        res.statusCode = 302;
        return void res.end();
      }
      res.setHeader('ETag', `"${file.sha1}"`);
      return this.sendBytes(req, res, repo, file, record);
    }
    this.error(res, 404, 'RepoNotFound', 'not found');
  }

  private findRepo(id: string, res: ServerResponse): Repo | undefined {
    const repo = this.repos.get(id);
    if (!repo) this.error(res, 404, 'RepoNotFound', 'Repository not found');
    return repo;
  }

  private allowed(req: IncomingMessage, res: ServerResponse, repo: Repo, what: 'api' | 'file'): boolean {
    if (!repo.access || (repo.access.mode === 'gated' && what === 'api')) return true;
    const auth = req.headers.authorization;
    if (auth === `Bearer ${repo.access.token}`) return true;
    const code = repo.access.mode === 'gated' ? 'GatedRepo' : 'RepoNotFound';
    this.error(res, auth ? 403 : 401, code, auth ? 'Access to this repo is restricted' : 'Invalid username or password.');
    return false;
  }

  private revision(repo: Repo, rev: string, res: ServerResponse): string | undefined {
    if (rev === 'main' || rev === repo.commit) return repo.commit;
    this.error(res, 404, 'RevisionNotFound', 'Invalid rev id');
    return undefined;
  }

  private json(res: ServerResponse, repo: Repo, body: unknown): void {
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('X-Repo-Commit', repo.commit);
    res.end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    res.statusCode = status;
    res.setHeader('X-Error-Code', code);
    res.setHeader('X-Error-Message', message);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ error: message }));
  }

  private sendBytes(req: IncomingMessage, res: ServerResponse, repo: Repo, file: RepoFile, record: RequestRecord): void {
    const size = file.data.length;
    let start = 0;
    let end = size - 1;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/octet-stream');
    const key = `${repo.id}:${file.path}`;
    const fault = req.method === 'GET' && (this.faults.get(key)?.times ?? 0) > 0 ? this.faults.get(key) : undefined;
    if (fault) fault.times! -= 1;
    const range = fault?.ignoreRange ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.setHeader('Content-Range', `bytes */${size}`);
        return this.error(res, 416, 'RangeNotSatisfiable', 'Range Not Satisfiable');
      }
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    res.setHeader('Content-Length', String(end - start + 1));
    if (req.method === 'HEAD') return void res.end();

    let body = file.data.subarray(start, end + 1);
    if (fault) {
      if (fault.corrupt) body = Buffer.from(body.map((b) => b ^ 0xff));
      if (fault.cutAfter !== undefined) {
        const part = body.subarray(0, fault.cutAfter);
        record.bytes += part.length;
        res.flushHeaders();
        return void res.write(part, () => setTimeout(() => res.socket?.destroy(), 10));
      }
      if (fault.dripBytes) return this.drip(res, body, fault.dripBytes, fault.dripMs ?? 10, record);
    }
    record.bytes += body.length;
    res.end(body);
  }

  private drip(res: ServerResponse, body: Buffer, step: number, ms: number, record: RequestRecord): void {
    let offset = 0;
    const tick = () => {
      if (res.destroyed) return;
      const part = body.subarray(offset, offset + step);
      offset += part.length;
      record.bytes += part.length;
      if (offset >= body.length) return void res.end(part);
      res.write(part);
      setTimeout(tick, ms);
    };
    res.flushHeaders();
    tick();
  }
}

async function loadRepo(id: string, spec: FakeRepoSpec): Promise<Repo> {
  const contents = new Map<string, Buffer>();
  if (spec.dir) for (const path of await listFiles(spec.dir)) contents.set(path, await readFile(join(spec.dir, path)));
  for (const [path, data] of Object.entries(spec.files ?? {})) contents.set(path, Buffer.from(data));
  const files = new Map<string, RepoFile>();
  for (const [path, data] of [...contents].sort(([a], [b]) => a.localeCompare(b))) {
    const lfs = data.length >= LFS_MIN || /\.(onnx|safetensors)$/.test(path);
    const sha256Hex = sha256(data);
    const sha1 = gitSha1(data);
    files.set(path, { path, data, sha1, sha256: sha256Hex, lfs, blobId: lfs ? gitSha1(Buffer.from(lfsPointer(sha256Hex, data.length))) : sha1 });
  }
  const commit = spec.commit ?? createHash('sha1').update(`${id}\n${[...files.values()].map((f) => `${f.path}:${f.sha1}`).join('\n')}`).digest('hex');
  return { id, commit, files, ...(spec.access ? { access: spec.access } : {}) };
}

const lfsPointer = (oid: string, size: number) => `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;

function revisionBody(repo: Repo, blobs: boolean) {
  return {
    _id: repo.commit.slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    sha: repo.commit,
    private: repo.access?.mode === 'private',
    gated: repo.access?.mode === 'gated' ? 'manual' : false,
    siblings: [...repo.files.values()].map((f) =>
      blobs
        ? {
            rfilename: f.path,
            blobId: f.blobId,
            size: f.data.length,
            ...(f.lfs ? { lfs: { sha256: f.sha256, size: f.data.length, pointerSize: lfsPointer(f.sha256, f.data.length).length } } : {}),
          }
        : { rfilename: f.path },
    ),
  };
}

function treeBody(repo: Repo, under: string, recursive: boolean) {
  const prefix = under ? `${under}/` : '';
  const entries: unknown[] = [];
  const dirs = new Set<string>();
  for (const f of repo.files.values()) {
    if (!f.path.startsWith(prefix)) continue;
    const rest = f.path.slice(prefix.length).split('/');
    for (let i = 1; i < rest.length && (recursive || i === 1); i++) dirs.add(prefix + rest.slice(0, i).join('/'));
    if (!recursive && rest.length > 1) continue;
    entries.push({
      type: 'file',
      oid: f.blobId,
      size: f.data.length,
      path: f.path,
      ...(f.lfs ? { lfs: { oid: f.sha256, size: f.data.length, pointerSize: lfsPointer(f.sha256, f.data.length).length } } : {}),
    });
  }
  for (const d of dirs) entries.push({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d });
  return entries;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}
