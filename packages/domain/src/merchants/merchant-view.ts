import type { Merchant } from '@app/db/generated/prisma/client';

export interface MerchantView {
  id: string;
  name: string;
  website: string | null;
  status: 'active' | 'suspended';
  defaultCurrency: string;
  storeCustomerEmails: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toMerchantView(m: Merchant): MerchantView {
  return {
    id: m.id,
    name: m.name,
    website: m.website,
    status: m.status as MerchantView['status'],
    defaultCurrency: m.defaultCurrency,
    storeCustomerEmails: m.storeCustomerEmails,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}
