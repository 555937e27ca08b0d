import type { PrismaClient } from '@app/db/client';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}

const checkResult = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });

export function healthRoutes(app: FastifyInstance, deps: { prisma: PrismaClient; redis: Redis }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/healthz',
    { config: { public: true }, schema: { tags: ['service'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({
      status: 'ok' as const,
    }),
  );

  const check = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    try {
      await withTimeout(fn(), 2_000);
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
    }
  };

  r.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['service'],
        summary: 'Postgres and Redis are reachable',
        response: {
          200: z.object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ postgres: checkResult, redis: checkResult }) }),
          503: z.object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ postgres: checkResult, redis: checkResult }) }),
        },
      },
    },
    async (_request, reply) => {
      const [postgres, redis] = await Promise.all([check(() => deps.prisma.$queryRaw`SELECT 1`), check(() => deps.redis.ping())]);
      const ready = postgres.ok && redis.ok;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { postgres, redis } });
    },
  );
}
