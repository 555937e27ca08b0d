import pg from 'pg';

export interface PgListenerOptions {
  /** Connection string (the application role is enough: LISTEN needs no rights). */
  url: string;
  channels: readonly string[];
  onNotification(channel: string, payload: string): void;
  /** Called after every (re)connection: notifications sent while disconnected are lost,
   *  so callers refresh what they may have missed. */
  onConnected?(): void;
  onError?(error: unknown, message: string): void;
  retryMs?: number;
}

export interface PgListener {
  /** True while the LISTEN connection is up. */
  connected(): boolean;
  close(): Promise<void>;
}

/** A LISTEN connection that reconnects by itself after a failure. */
export function startPgListener(options: PgListenerOptions): PgListener {
  let running = true;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;

  const retry = () => {
    if (!running || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, options.retryMs ?? 1_000);
  };

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: options.url });
    c.on('notification', (n) => options.onNotification(n.channel, n.payload ?? ''));
    c.on('error', (err) => {
      options.onError?.(err, 'LISTEN connection lost; reconnecting');
      if (client === c) client = null;
      c.end().catch(() => {});
      retry();
    });
    try {
      await c.connect();
      for (const channel of options.channels) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (!running) {
        await c.end();
        return;
      }
      client = c;
      options.onConnected?.();
    } catch (err) {
      options.onError?.(err, 'LISTEN failed; retrying');
      c.end().catch(() => {});
      retry();
    }
  }

  void connect();
  return {
    connected: () => client !== null,
    async close() {
      running = false;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
