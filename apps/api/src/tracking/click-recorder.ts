import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickEvent } from '@app/domain/clicks/click-event';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface ClickRecorderOptions {
  /** A connection of its own, with auto-pipelining, no offline queue and a command timeout. */
  redis: Redis;
  streamKey: string;
  /** Where clicks go while Redis cannot take them. One directory per API instance. */
  spoolDir: string;
  logger: Logger;
  replayEveryMs?: number;
}

const SPOOL_FILE = /^clicks-.*\.ndjson$/;
const REPLAY_CHUNK = 500;

/**
 * Puts each click on the Redis stream before the redirect is answered. When Redis does
 * not take it (down, unreachable, too slow), the click is appended to a local spool
 * file instead, and a replay loop moves spooled clicks to the stream once Redis is
 * back. A click may reach the stream twice (a write that timed out but happened, a
 * replay cut off halfway): the consumer stores each click id once, so that is harmless.
 * Spool files left by a crashed instance are replayed when an instance starts on the
 * same directory.
 */
export class ClickRecorder {
  private file: FileHandle | null = null;
  private fileName: string | null = null;
  /** Spool writes run one after another. */
  private writing: Promise<void> = Promise.resolve();
  private replaying = false;
  private readonly timer: NodeJS.Timeout;
  private spooledSinceStart = 0;

  constructor(private readonly options: ClickRecorderOptions) {
    mkdirSync(options.spoolDir, { recursive: true });
    this.timer = setInterval(() => void this.replay(), options.replayEveryMs ?? 2_000);
    this.timer.unref();
  }

  async record(event: ClickEvent): Promise<'stream' | 'spool'> {
    const json = JSON.stringify(event);
    if (this.options.redis.status === 'ready') {
      try {
        await this.options.redis.xadd(this.options.streamKey, '*', 'e', json);
        return 'stream';
      } catch (error) {
        this.options.logger.warn({ err: error, clickId: event.id }, 'click stream write failed; spooling the click');
      }
    }
    await this.spool(json);
    return 'spool';
  }

  /** Clicks spooled by this instance since it started (for /metrics and tests). */
  spooled(): number {
    return this.spooledSinceStart;
  }

  private spool(json: string): Promise<void> {
    const write = this.writing.then(async () => {
      if (!this.file) {
        this.fileName = join(this.options.spoolDir, `clicks-${Date.now()}-${process.pid}-${randomBytes(3).toString('hex')}.ndjson.open`);
        this.file = await open(this.fileName, 'a');
      }
      await this.file.appendFile(`${json}\n`);
      this.spooledSinceStart += 1;
    });
    this.writing = write.catch(() => {});
    return write;
  }

  /** Closes the current spool file so the replay can take it. */
  private async rotate(): Promise<void> {
    const rotation = this.writing.then(async () => {
      if (!this.file || !this.fileName) return;
      await this.file.close();
      await rename(this.fileName, this.fileName.replace(/\.open$/, ''));
      this.file = null;
      this.fileName = null;
    });
    this.writing = rotation.catch(() => {});
    await rotation;
  }

  /** Moves spooled clicks to the stream; returns how many it moved. */
  async replay(): Promise<number> {
    if (this.replaying || this.options.redis.status !== 'ready') return 0;
    this.replaying = true;
    let moved = 0;
    try {
      await this.rotate();
      const names = (await readdir(this.options.spoolDir)).filter((n) => SPOOL_FILE.test(n) || this.isOrphan(n)).sort();
      for (const name of names) {
        const path = join(this.options.spoolDir, name);
        const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
        for (let i = 0; i < lines.length; i += REPLAY_CHUNK) {
          const pipeline = this.options.redis.pipeline();
          for (const line of lines.slice(i, i + REPLAY_CHUNK)) pipeline.xadd(this.options.streamKey, '*', 'e', line);
          const results = (await pipeline.exec()) ?? [];
          const failed = results.find(([error]) => error);
          if (failed) throw failed[0];
        }
        await unlink(path);
        moved += lines.length;
      }
      if (moved > 0) this.options.logger.info({ moved }, 'spooled clicks replayed to the stream');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'click spool replay failed; will retry');
    } finally {
      this.replaying = false;
    }
    return moved;
  }

  /** An `.open` file that is not this instance's: left by a crashed process. */
  private isOrphan(name: string): boolean {
    return name.endsWith('.ndjson.open') && join(this.options.spoolDir, name) !== this.fileName;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.rotate().catch(() => {});
  }

  /** Spooled clicks waiting for replay (counts lines; for tests and health). */
  async backlog(): Promise<number> {
    let n = 0;
    for (const name of await readdir(this.options.spoolDir)) {
      if (!name.startsWith('clicks-')) continue;
      const path = join(this.options.spoolDir, name);
      if ((await stat(path)).size === 0) continue;
      n += (await readFile(path, 'utf8')).split('\n').filter(Boolean).length;
    }
    return n;
  }
}
