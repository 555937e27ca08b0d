/**
 * Who is acting. Every use case receives one; policies (./policies.ts) decide what it
 * may do. Built by the API from a verified access token or API key, or by the system for
 * jobs and sign-ups.
 */
export type NetworkRole = 'owner' | 'admin' | 'finance' | 'analyst';
export type MerchantRole = 'owner' | 'admin' | 'finance' | 'analyst';

export type Membership =
  | { scope: 'network'; role: NetworkRole }
  | { scope: 'merchant'; merchantId: string; role: MerchantRole }
  | { scope: 'affiliate'; affiliateId: string; role: 'owner' };

interface Common {
  tenantId: string;
  requestId?: string;
  ip?: string;
}

export type Actor =
  | (Common & { type: 'user'; userId: string; memberships: Membership[] })
  | (Common & { type: 'api_key'; keyId: string; merchantId: string; keyType: 'secret' | 'publishable' })
  | (Common & { type: 'system' });

export function systemActor(tenantId: string, requestId?: string): Actor {
  return { type: 'system', tenantId, requestId };
}
