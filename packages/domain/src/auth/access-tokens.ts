import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { Membership } from '../shared/actor';
import { DomainError } from '../shared/errors';

/**
 * Short-lived access tokens (JWT, HS256, signed with jose). They carry the tenant, the
 * user and the user's memberships, so a request needs no database read to know who is
 * asking; a role change takes effect at the next refresh (≤ the token lifetime).
 */
export interface TokenConfig {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlDays: number;
}

const ISSUER = 'affnet';
const AUDIENCE = 'affnet-api';

const membershipClaim = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('network'), role: z.enum(['owner', 'admin', 'finance', 'analyst']) }),
  z.object({ scope: z.literal('merchant'), merchantId: z.string(), role: z.enum(['owner', 'admin', 'finance', 'analyst']) }),
  z.object({ scope: z.literal('affiliate'), affiliateId: z.string(), role: z.literal('owner') }),
]);

const claimsSchema = z.object({
  sub: z.string(),
  tid: z.string(),
  sid: z.string(),
  mbs: z.array(membershipClaim),
});

export interface AccessClaims {
  userId: string;
  tenantId: string;
  sessionFamilyId: string;
  memberships: Membership[];
}

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signAccessToken(config: TokenConfig, claims: AccessClaims, now = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ tid: claims.tenantId, sid: claims.sessionFamilyId, mbs: claims.memberships })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + config.accessTtlSeconds)
    .sign(key(config.secret));
}

export async function verifyAccessToken(config: Pick<TokenConfig, 'secret'>, token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, key(config.secret), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
    });
    const claims = claimsSchema.parse(payload);
    return { userId: claims.sub, tenantId: claims.tid, sessionFamilyId: claims.sid, memberships: claims.mbs };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw new DomainError('token_expired', 'The access token has expired; refresh it.');
    }
    throw new DomainError('invalid_token', 'The access token is not valid.');
  }
}
