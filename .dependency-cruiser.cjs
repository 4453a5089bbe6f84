/** Imports flow one way: http → tasks → runtime/models/media → lib. Checked in CI (npm run depcheck). */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'http-only-through-tasks',
      comment: 'routes translate; they reach models and the runtime through tasks/',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(runtime|models|media)/' },
    },
    { name: 'tasks-not-http', severity: 'error', from: { path: '^src/tasks/' }, to: { path: '^src/http/' } },
    {
      name: 'lower-layers-stay-low',
      severity: 'error',
      from: { path: '^src/(runtime|models|media)/' },
      to: { path: '^src/(http|tasks)/' },
    },
    {
      name: 'lib-is-a-leaf',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/(http|tasks|runtime|models|media|net)/' },
    },
    {
      name: 'env-only-in-config',
      comment: 'config.ts parses the environment once; nothing else may import it except the entry points',
      severity: 'error',
      from: { path: '^src/(http|tasks|runtime|models|media|lib)/' },
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
