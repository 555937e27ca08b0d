import type { Affiliate } from '@app/db/generated/prisma/client';
import type { Actor } from '../shared/actor';
import { notFound } from '../shared/errors';
import { affiliateIdOf, networkRole } from '../shared/policies';

// Affiliate accounts as the network sees them. Affiliates read and edit only their own;
// merchants reach affiliates through programs and the directory, not through this list.

export interface AffiliateView {
  id: string;
  name: string;
  email: string;
  website: string | null;
  status: 'pending' | 'active' | 'suspended';
  parentAffiliateId: string | null;
  websites: string[];
  channels: string[];
  countries: string[];
  categories: string[];
  description: string | null;
  payoutCurrency: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toAffiliateView(a: Affiliate): AffiliateView {
  return {
    id: a.id,
    name: a.name,
    email: a.email,
    website: a.website,
    status: a.status as AffiliateView['status'],
    parentAffiliateId: a.parentAffiliateId,
    websites: a.websites,
    channels: a.channels,
    countries: a.countries,
    categories: a.categories,
    description: a.description,
    payoutCurrency: a.payoutCurrency,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export function requireSelfOrNetwork(actor: Actor, affiliateId: string): void {
  if (networkRole(actor) || affiliateIdOf(actor) === affiliateId) return;
  throw notFound('Affiliate', affiliateId);
}
