import { randomBytes } from 'node:crypto';
import type { ApiKey } from '@app/db/generated/prisma/client';
import { newId } from '@app/db/ids';
import { withTenant } from '@app/db/with-tenant';
import { writeAudit } from '../audit/write-audit';
import { hashToken } from '../auth/refresh-tokens';
import { recordEvent } from '../events/record-event';
import { loadMerchantOrThrow } from '../merchants/get-merchant-or-throw';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { forbidden, notFound } from '../shared/errors';
import { decodeCursor, pageOf } from '../shared/pagination';
import { memberMerchantIds, networkRole, requireMerchantRead, requireMerchantWrite, requireUser } from '../shared/policies';

// A merchant's API keys: secret keys (`sk_`) for its servers, publishable keys (`pk_`)
// for the browser tracker. The full key is returned once, at creation; only its SHA-256
// is stored. Create, list and revoke share the view and the rules, hence one file.

export interface ApiKeyView {
  id: string;
  merchantId: string;
  type: 'secret' | 'publishable';
  name: string;
  prefix: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export function toApiKeyView(k: ApiKey): ApiKeyView {
  return {
    id: k.id,
    merchantId: k.merchantId,
    type: k.type as ApiKeyView['type'],
    name: k.name,
    prefix: k.prefix,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    createdAt: k.createdAt.toISOString(),
  };
}

export function generateApiKey(type: 'secret' | 'publishable'): string {
  return `${type === 'secret' ? 'sk' : 'pk'}_${randomBytes(24).toString('base64url')}`;
}

export async function createApiKey(
  deps: Deps,
  actor: Actor,
  input: { merchantId: string; type: 'secret' | 'publishable'; name: string },
): Promise<ApiKeyView & { key: string }> {
  requireUser(actor); // keys do not mint keys
  requireMerchantWrite(actor, input.merchantId);
  const key = generateApiKey(input.type);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const merchant = await loadMerchantOrThrow(tx, input.merchantId);
    const row = await tx.apiKey.create({
      data: {
        id: newId('apiKey'),
        tenantId: actor.tenantId,
        merchantId: merchant.id,
        type: input.type,
        name: input.name,
        prefix: key.slice(0, 10),
        keyHash: hashToken(key),
        createdByUserId: actor.userId,
      },
    });
    await writeAudit(tx, actor, {
      action: 'api_key.created',
      subjectType: 'api_key',
      subjectId: row.id,
      data: { merchantId: merchant.id, type: input.type, name: input.name },
    });
    const creator = await tx.user.findUnique({ where: { id: actor.userId } });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'api_key.created',
      subjectType: 'api_key',
      subjectId: row.id,
      payload: {
        merchantId: merchant.id,
        merchantName: merchant.name,
        keyName: input.name,
        keyType: input.type,
        keyPrefix: row.prefix,
        email: creator?.email,
        name: creator?.name,
      },
    });
    return { ...toApiKeyView(row), key };
  });
}

export async function listApiKeys(
  deps: Deps,
  actor: Actor,
  input: { limit: number; cursor?: string; merchantId?: string; includeRevoked?: boolean },
): Promise<{ data: ApiKeyView[]; nextCursor: string | null }> {
  requireUser(actor);
  let merchantIds: string[] | null;
  if (input.merchantId) {
    requireMerchantRead(actor, input.merchantId);
    merchantIds = [input.merchantId];
  } else if (networkRole(actor)) {
    merchantIds = null;
  } else {
    merchantIds = memberMerchantIds(actor);
    if (merchantIds.length === 0) throw forbidden('Only merchant members and network staff can list API keys.');
  }
  const before = decodeCursor(input.cursor);
  const rows = await withTenant(deps.prisma, actor.tenantId, (tx) =>
    tx.apiKey.findMany({
      where: {
        ...(merchantIds ? { merchantId: { in: merchantIds } } : {}),
        ...(input.includeRevoked ? {} : { revokedAt: null }),
        ...(before ? { id: { lt: before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    }),
  );
  const page = pageOf(rows, input.limit);
  return { data: page.data.map(toApiKeyView), nextCursor: page.nextCursor };
}

/** Revokes a key at once; revoking twice is harmless and answers the same. */
export async function revokeApiKey(deps: Deps, actor: Actor, keyId: string): Promise<ApiKeyView> {
  requireUser(actor);
  return withTenant(deps.prisma, actor.tenantId, async (tx) => {
    const key = await tx.apiKey.findUnique({ where: { id: keyId } });
    if (!key) throw notFound('API key', keyId);
    requireMerchantWrite(actor, key.merchantId);
    if (key.revokedAt) return toApiKeyView(key);
    const revoked = await tx.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
    await writeAudit(tx, actor, { action: 'api_key.revoked', subjectType: 'api_key', subjectId: keyId, data: { merchantId: key.merchantId } });
    await recordEvent(tx, {
      tenantId: actor.tenantId,
      type: 'api_key.revoked',
      subjectType: 'api_key',
      subjectId: keyId,
      payload: { merchantId: key.merchantId, prefix: key.prefix },
    });
    return toApiKeyView(revoked);
  });
}
