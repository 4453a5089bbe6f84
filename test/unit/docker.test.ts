/**
 * No Docker engine runs on this project's machines, so the image is never built here. These checks keep
 * the Dockerfile, compose files, .env.example and README in step with the project's own commands.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema } from '../../src/config.js';
import { ROOT } from '../helpers/paths.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const dockerfile = read('Dockerfile');
/** Dockerfile instructions with line continuations joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const compose = parse(read('compose.yaml'));
const gpu = parse(read('compose.gpu.yaml'));
const readme = read('README.md');
const pkg = JSON.parse(read('package.json'));
const service = compose.services.hearth;
const envOf = (name: string) => new RegExp(`\\b${name}=(\\S+)`).exec(instructions.filter((l) => l.startsWith('ENV ')).join(' '))?.[1];

describe('Dockerfile', () => {
  it('builds with the project commands and runs the same entry point as scripts/serve.sh', () => {
    const runs = instructions.filter((l) => l.startsWith('RUN ')).join('\n');
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnpm run build\b/);
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.json');
    expect(read('.ci/run')).toMatch(/\bnpm ci\b/);
    const cmd = instructions.find((l) => l.startsWith('CMD '))!;
    expect(JSON.parse(cmd.slice(4))).toEqual(['node', 'dist/src/main.js']);
    expect(read('scripts/serve.sh')).toMatch(/^exec node dist\/src\/main\.js$/m);
    expect(pkg.bin.hearth).toBe('dist/src/cli.js');
  });

  it('copies everything tsc compiles, and .dockerignore keeps those paths in the context', () => {
    const tsconfig = JSON.parse(read('tsconfig.json'));
    const copied = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from')).join(' ');
    for (const pattern of tsconfig.include as string[]) expect(copied).toContain(` ${pattern.split('/')[0]} `);
    for (const file of ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'models.json']) expect(copied).toContain(file);
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const needed of ['src', 'bench', 'models.json', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json']) expect(ignored).not.toContain(needed);
  });

  it('is multi-stage on node:20-bookworm-slim, with a CUDA build arg on an nvidia/cuda base', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^ARG CUDA=0$/m);
    expect(dockerfile).toMatch(/^ARG CUDA_IMAGE=nvidia\/cuda:12\.[\d.]+-cudnn-runtime-/m);
    expect(instructions.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^FROM runtime-\$\{CUDA\} AS runtime$/m);
  });

  it('CUDA=1 asks onnxruntime-node for an installation its install script knows, overriding .npmrc', () => {
    const flag = /ONNXRUNTIME_NODE_INSTALL=(\S+)/.exec(dockerfile)?.[1];
    const metadata = read('node_modules/onnxruntime-node/script/install-metadata.js');
    expect(metadata).toMatch(new RegExp(`'linux/x64': \\[[^\\]]*'${flag}'`));
    expect(read('node_modules/onnxruntime-node/script/install-utils.js')).toContain('process.env.ONNXRUNTIME_NODE_INSTALL ||');
    expect(read('.npmrc')).toMatch(/^onnxruntime-node-install=skip$/m);
  });

  it('runs as a non-root user, listens on 0.0.0.0:8000, keeps models in a volume, checks /health with node', () => {
    const user = instructions.find((l) => l.startsWith('USER '))?.slice(5);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(envOf('HEARTH_HOST')).toBe('0.0.0.0');
    expect(envOf('HEARTH_PORT')).toBe('8000');
    expect(instructions).toContain('EXPOSE 8000');
    expect(envOf('HF_HOME')).toBe('/data/models');
    const volumes: string[] = JSON.parse(instructions.find((l) => l.startsWith('VOLUME '))!.slice(7));
    expect(volumes.some((v) => envOf('HF_HOME')!.startsWith(v))).toBe(true);
    const health = instructions.find((l) => l.startsWith('HEALTHCHECK '))!;
    expect(health).toMatch(/CMD \["node", "-e", .*\/health/);
    expect(health).not.toMatch(/curl|wget/);
    expect(instructions.join('\n')).toMatch(/apt-get install -y --no-install-recommends [^\n]*\bchromium\b/);
  });
});

describe('compose files', () => {
  it('compose.yaml: port 8000, the data volume at /data, .env, a stop grace period longer than the drain', () => {
    expect(service.ports).toContain('8000:8000');
    expect(service.build.context).toBe('.');
    expect(service.volumes).toContain('hearth-data:/data');
    expect(Object.keys(compose.volumes)).toContain('hearth-data');
    const envFiles = (service.env_file as Array<string | { path: string }>).map((e) => (typeof e === 'string' ? e : e.path));
    expect(envFiles).toEqual(['.env']);
    const grace = Number(/^(\d+)s$/.exec(service.stop_grace_period)?.[1]);
    expect(grace * 1000).toBeGreaterThan(ConfigSchema.parse({}).drainTimeoutMs);
    expect(service.init).toBe(true);
    expect(service.deploy).toBeUndefined(); // the CPU service reserves no GPU
  });

  it('compose.gpu.yaml: the CUDA build and an NVIDIA GPU reservation, as in the design seed', () => {
    const hearth = gpu.services.hearth;
    expect(hearth.build.args.CUDA).toBe('1');
    const devices = hearth.deploy.resources.reservations.devices;
    expect(devices).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
  });

  it('.env.example names only settings that exist', () => {
    const known = new Set([...Object.keys(ConfigSchema.in.shape), 'HF_ENDPOINT', 'HF_TOKEN', 'HF_HOME']);
    const named = [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((n) => !known.has(n))).toEqual([]);
    expect(named).toContain('HEARTH_API_KEYS');
  });

  it('the README describes the same port, volume, env file and GPU override, and says the image was not built here', () => {
    const section = /## Docker\n([\s\S]*?)(\n## |$)/.exec(readme)?.[1] ?? '';
    expect(section).toContain('8000');
    expect(section).toContain('hearth-data');
    expect(section).toContain('.env.example');
    expect(section).toContain('compose.gpu.yaml');
    expect(section).toContain('--build-arg CUDA=1');
    expect(section).toMatch(/not (been )?built here/i);
  });
});
