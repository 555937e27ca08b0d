import { createPrisma } from '@app/db/client';

/**
 * The demo network `pnpm start` creates in an empty database. It is built through the
 * public HTTP API, exactly as a real operator would, so the seed exercises the same
 * validation, hashing, auditing and outbox paths as production. Later features add their
 * own steps (a program, links, …) to `seedDemo`.
 */
export const DEMO_PASSWORD = 'demo-password';

export const DEMO = {
  network: { name: 'Demo Network', slug: 'demo', defaultCurrency: 'EUR' },
  owner: { name: 'Nina Network', email: 'owner@demo.example.com', password: DEMO_PASSWORD },
  merchant: {
    name: 'Demo Shoes',
    website: 'https://shoes.example.com',
    owner: { name: 'Max Merchant', email: 'merchant@demo.example.com', password: DEMO_PASSWORD },
  },
  affiliates: [
    { name: 'Alice Affiliate', email: 'alice@demo.example.com', password: DEMO_PASSWORD, website: 'https://alice.example.com' },
    { name: 'Bob Blogger', email: 'bob@demo.example.com', password: DEMO_PASSWORD, website: 'https://bob.example.com' },
    { name: 'Carol Coupons', email: 'carol@demo.example.com', password: DEMO_PASSWORD, website: 'https://carol.example.com' },
  ],
} as const;

export interface DemoLogin {
  role: string;
  email: string;
  password: string;
}

export const DEMO_LOGINS: DemoLogin[] = [
  { role: 'network owner', email: DEMO.owner.email, password: DEMO.owner.password },
  { role: 'merchant (Demo Shoes)', email: DEMO.merchant.owner.email, password: DEMO.merchant.owner.password },
  ...DEMO.affiliates.map((a) => ({ role: `affiliate (${a.name})`, email: a.email, password: a.password })),
];

export class SeedError extends Error {
  override name = 'SeedError';
  constructor(
    message: string,
    readonly status: number,
    readonly path: string,
  ) {
    super(message);
  }
}

async function post<T>(apiUrl: string, path: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new SeedError(`POST ${path} answered ${response.status}: ${text}`, response.status, path);
  return JSON.parse(text) as T;
}

export interface SeedResult {
  tenant: { id: string; slug: string };
  merchantId: string;
  affiliateIds: string[];
}

export async function seedDemo(apiUrl: string): Promise<SeedResult> {
  const signup = await post<{ accessToken: string; tenant: { id: string; slug: string } }>(apiUrl, '/v1/auth/signup', {
    network: DEMO.network,
    owner: DEMO.owner,
  });
  const merchant = await post<{ id: string }>(apiUrl, '/v1/merchants', DEMO.merchant, signup.accessToken);
  const affiliateIds: string[] = [];
  for (const affiliate of DEMO.affiliates) {
    const joined = await post<{ affiliate: { id: string } }>(apiUrl, '/v1/partners/signup', { network: DEMO.network.slug, ...affiliate });
    affiliateIds.push(joined.affiliate.id);
  }
  return { tenant: signup.tenant, merchantId: merchant.id, affiliateIds };
}

/**
 * How many networks the database holds, read as the owner through the `affnet_system`
 * role: `tenants` has FORCE ROW LEVEL SECURITY, so a non-superuser owner would see none.
 */
export async function countNetworks(ownerUrl: string): Promise<number> {
  const prisma = createPrisma({ url: ownerUrl, poolSize: 1 });
  try {
    const [, rows] = await prisma.$transaction([
      prisma.$executeRawUnsafe('SET LOCAL ROLE affnet_system'),
      prisma.$queryRawUnsafe<{ count: number }[]>('SELECT count(*)::int AS count FROM tenants'),
    ]);
    return rows[0]?.count ?? 0;
  } finally {
    await prisma.$disconnect();
  }
}
