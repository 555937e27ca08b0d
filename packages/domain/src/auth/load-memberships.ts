import type { Tx } from '@app/db/with-tenant';
import type { Membership } from '../shared/actor';

export async function loadMemberships(tx: Tx, userId: string): Promise<Membership[]> {
  const rows = await tx.membership.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
  return rows.map((m): Membership => {
    if (m.scope === 'merchant' && m.merchantId) return { scope: 'merchant', merchantId: m.merchantId, role: m.role as never };
    if (m.scope === 'affiliate' && m.affiliateId) return { scope: 'affiliate', affiliateId: m.affiliateId, role: 'owner' };
    return { scope: 'network', role: m.role as never };
  });
}

/** The role a login answers with: the most significant membership, for display. */
export function primaryRole(memberships: Membership[]): string {
  const network = memberships.find((m) => m.scope === 'network');
  if (network) return `network_${network.role}`;
  const merchant = memberships.find((m) => m.scope === 'merchant');
  if (merchant) return `merchant_${merchant.role}`;
  return memberships.some((m) => m.scope === 'affiliate') ? 'affiliate' : 'none';
}
