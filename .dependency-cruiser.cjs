/** Imports flow one way: http → tasks → runtime/models/media → net → lib. Checked in CI (npm run depcheck). */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'http-only-through-tasks',
      comment: 'routes translate; they reach models and the runtime through tasks/',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(runtime|models|media|net)/' },
    },
    { name: 'tasks-not-http', severity: 'error', from: { path: '^src/tasks/' }, to: { path: '^src/http/' } },
    {
      name: 'lower-layers-stay-low',
      severity: 'error',
      from: { path: '^src/(runtime|models|media|net)/' },
      to: { path: '^src/(http|tasks)/' },
    },
    {
      name: 'media-over-net-and-lib',
      comment: 'image decoding reaches the network only through the egress guard',
      severity: 'error',
      from: { path: '^src/media/' },
      to: { path: '^src/(runtime|models)/' },
    },
    {
      name: 'net-over-lib',
      comment: 'the egress guard knows only lib',
      severity: 'error',
      from: { path: '^src/net/' },
      to: { path: '^src/(runtime|models|media|security|observability)/' },
    },
    {
      name: 'lib-is-a-leaf',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/(http|tasks|runtime|models|media|net)/' },
    },
    {
      name: 'security-stays-low',
      comment: 'keys, addresses and rate-limit buckets are plain logic shared by http/ and the CLI: they know no layer above lib',
      severity: 'error',
      from: { path: '^src/security/' },
      to: { path: '^src/(http|tasks|runtime|models|media|net|observability)/' },
    },
    {
      name: 'observability-is-a-leaf',
      comment: 'http and tasks report to the metrics registry; it knows none of them, and the runtime reports through callbacks',
      severity: 'error',
      from: { path: '^src/observability/' },
      to: { path: '^src/(http|tasks|runtime|models|media|net)/' },
    },
    {
      name: 'runtime-without-metrics',
      severity: 'error',
      from: { path: '^src/(runtime|models|media|lib)/' },
      to: { path: '^src/observability/' },
    },
    {
      name: 'env-only-in-config',
      comment: 'config.ts parses the environment once; nothing else may import it except the entry points',
      severity: 'error',
      from: { path: '^src/(http|tasks|runtime|models|media|net|lib|security)/' },
      to: { path: '^src/(main|cli|server)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
