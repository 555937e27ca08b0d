import { createHmac } from 'node:crypto';
import type { Tx } from '@app/db/with-tenant';

const salts = new Map<string, string>();

/** The network's secret salt (tenants.click_salt, never changed): cached per process. */
export async function tenantSalt(tx: Tx, tenantId: string): Promise<string> {
  let salt = salts.get(tenantId);
  if (salt === undefined) {
    const row = await tx.tenant.findUnique({ where: { id: tenantId }, select: { clickSalt: true } });
    salt = row?.clickSalt ?? '';
    salts.set(tenantId, salt);
  }
  return salt;
}

/** An e-mail address as compared: trimmed, lower-case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** HMAC-SHA256 of a normalised e-mail with the network's salt (hex): the same address
 *  matches within a network, and the hash is useless elsewhere. */
export function hashEmail(salt: string, email: string): string {
  return createHmac('sha256', salt).update(normalizeEmail(email)).digest('hex');
}
