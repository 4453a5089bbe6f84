/** Messages between a supervisor and its child process (Node IPC, 'advanced' serialization: typed arrays travel as such). */
export type ToChild = { type: 'init'; payload: unknown } | { type: 'job'; id: number; payload: unknown } | { type: 'exit' };

export type FromChild =
  | { type: 'ready'; info?: unknown }
  | { type: 'init_error'; message: string }
  | { type: 'result'; id: number; ok: true; value: unknown; rssBytes?: number }
  | { type: 'result'; id: number; ok: false; error: { code?: string; message: string }; rssBytes?: number };
