import { randomBytes } from 'node:crypto';
import type { ApiKey } from '@app/db/generated/prisma/client';

// A merchant's API keys: secret keys (`sk_`) for its servers, publishable keys (`pk_`)
// for the browser tracker. The full key is returned once, at creation; only its SHA-256
// is stored.

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
