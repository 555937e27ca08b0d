import { newId } from '../../packages/db/src/ids';
import { generateLinkCode } from '../../packages/domain/src/links/link-code';
import { pg } from '../lib/deps';

/**
 * Networks, merchants, programs, approved partners and links written straight into a
 * migrated database with the owner connection (thousands of links through the API would
 * take minutes). Every link is active on an active program, through an approved
 * enrollment of an active affiliate: each one answers /c/{code} with a 302.
 */
export interface SeedOptions {
  tenants: number;
  merchantsPerTenant: number;
  programsPerMerchant: number;
  affiliatesPerTenant: number;
  /** Programs each affiliate is approved in (of its tenant's). */
  enrollmentsPerAffiliate: number;
  linksPerEnrollment: number;
}

export interface Seeded {
  codes: string[];
  tenants: number;
  programs: number;
  affiliates: number;
  enrollments: number;
}

const SHOPS = ['shoes', 'books', 'garden', 'travel', 'games', 'tea', 'bikes', 'lamps'];

export async function seed(ownerUrl: string, o: SeedOptions): Promise<Seeded> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  const codes: string[] = [];
  let programs = 0;
  let affiliates = 0;
  let enrollments = 0;
  try {
    await client.query('BEGIN');
    for (let t = 0; t < o.tenants; t++) {
      const tenantId = newId('tenant');
      await client.query('INSERT INTO tenants (id, slug, name, default_currency) VALUES ($1, $2, $3, $4)', [
        tenantId,
        `bench-net-${t}`,
        `Bench network ${t}`,
        'EUR',
      ]);
      const programIds: { id: string; shop: string }[] = [];
      for (let m = 0; m < o.merchantsPerTenant; m++) {
        const merchantId = newId('merchant');
        await client.query('INSERT INTO merchants (id, tenant_id, name, default_currency) VALUES ($1, $2, $3, $4)', [
          merchantId,
          tenantId,
          `Merchant ${m}`,
          'EUR',
        ]);
        for (let p = 0; p < o.programsPerMerchant; p++) {
          const shop = SHOPS[(m * o.programsPerMerchant + p) % SHOPS.length]!;
          const id = newId('program');
          await client.query(
            `INSERT INTO programs (id, tenant_id, merchant_id, name, landing_url, allowed_domains, currency, status, visibility, enrollment_mode)
             VALUES ($1, $2, $3, $4, $5, $6, 'EUR', 'active', 'public', 'auto')`,
            [id, tenantId, merchantId, `${shop} ${p}`, `https://${shop}.example/`, [`${shop}.example`, `www.${shop}.example`]],
          );
          programIds.push({ id, shop });
          programs++;
        }
      }

      const affRows: unknown[][] = [];
      const enrRows: unknown[][] = [];
      const linkRows: unknown[][] = [];
      for (let a = 0; a < o.affiliatesPerTenant; a++) {
        const affiliateId = newId('affiliate');
        affRows.push([affiliateId, tenantId, `Partner ${a}`, `partner${a}@pub${t}.example`]);
        affiliates++;
        for (let e = 0; e < o.enrollmentsPerAffiliate; e++) {
          const program = programIds[(a + e) % programIds.length]!;
          const enrollmentId = newId('enrollment');
          enrRows.push([enrollmentId, tenantId, program.id, affiliateId]);
          enrollments++;
          for (let l = 0; l < o.linksPerEnrollment; l++) {
            const code = generateLinkCode();
            codes.push(code);
            linkRows.push([
              newId('link'),
              tenantId,
              program.id,
              affiliateId,
              enrollmentId,
              code,
              l === 0 ? `https://${program.shop}.example/` : `https://www.${program.shop}.example/c/${l}?utm_source=aff&utm_medium=${a}`,
              l % 2 === 0 ? `p${a}-l${l}` : null,
              l === 0,
            ]);
          }
        }
      }
      await insertMany(client, 'affiliates', ['id', 'tenant_id', 'name', 'email'], affRows);
      await insertMany(client, 'enrollments', ['id', 'tenant_id', 'program_id', 'affiliate_id'], enrRows, { status: 'approved' });
      await insertMany(
        client,
        'links',
        ['id', 'tenant_id', 'program_id', 'affiliate_id', 'enrollment_id', 'code', 'destination_url', 'sub1', 'is_default'],
        linkRows,
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
  return { codes, tenants: o.tenants, programs, affiliates, enrollments };
}

/** Multi-row INSERTs of up to 500 rows; `constants` are the same for every row. */
async function insertMany(client: InstanceType<typeof pg.Client>, table: string, columns: string[], rows: unknown[][], constants: Record<string, string> = {}) {
  const constNames = Object.keys(constants);
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const refs = row.map((value) => {
        params.push(value);
        return `$${params.length}`;
      });
      for (const name of constNames) {
        params.push(constants[name]);
        refs.push(`$${params.length}`);
      }
      return `(${refs.join(', ')})`;
    });
    await client.query(`INSERT INTO ${table} (${[...columns, ...constNames].join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }
}
