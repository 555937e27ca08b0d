import { z } from 'zod';
import { currencyCode, displayName, email, httpUrl, password, personName, slug } from './common';

export const membershipSchema = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('network'), role: z.enum(['owner', 'admin', 'finance', 'analyst']) }),
  z.object({
    scope: z.literal('merchant'),
    merchantId: z.string(),
    role: z.enum(['owner', 'admin', 'finance', 'analyst']),
  }),
  z.object({ scope: z.literal('affiliate'), affiliateId: z.string(), role: z.literal('owner') }),
]);

export const signupBody = z
  .object({
    network: z
      .object({
        name: displayName,
        slug,
        defaultCurrency: currencyCode.default('EUR'),
      })
      .strict(),
    owner: z.object({ name: personName, email, password }).strict(),
  })
  .strict();

export const tokenPair = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('access token lifetime in seconds'),
});

export const signupResponse = tokenPair.extend({
  tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
});

export const loginBody = z.object({ network: slug, email, password: z.string().min(1).max(200) }).strict();

export const loginResponse = tokenPair.extend({
  user: z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.string() }),
  memberships: z.array(membershipSchema),
});

export const refreshBody = z.object({ refreshToken: z.string().min(10).max(500) }).strict();
export const logoutBody = refreshBody;

export const partnerSignupBody = z
  .object({
    network: slug,
    name: personName,
    email,
    password,
    website: httpUrl.optional(),
    /** The recruiting affiliate (two-tier), from a recruit link. */
    referredBy: z.string().max(100).optional(),
  })
  .strict();

export const partnerSignupResponse = tokenPair.extend({
  affiliate: z.object({ id: z.string(), status: z.enum(['pending', 'active', 'suspended']) }),
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
});

export const meResponse = z.object({
  actor: z.enum(['user', 'api_key']),
  tenant: z.object({ id: z.string(), slug: z.string(), name: z.string(), defaultCurrency: z.string() }),
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
  apiKey: z.object({ id: z.string(), merchantId: z.string(), type: z.enum(['secret', 'publishable']) }).nullable(),
  memberships: z.array(membershipSchema),
});
