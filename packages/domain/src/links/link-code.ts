import { randomInt } from 'node:crypto';

/**
 * Tracked-link codes: the `{code}` of `/c/{code}`. Letters and digits only (no `-` or `_`,
 * which chat apps and linkifiers trim off the end of a URL), 8 characters drawn with a
 * CSPRNG: 62^8 ≈ 2.2·10^14 codes, so they cannot be enumerated and collisions are rare
 * enough that a retry on the (platform-wide) unique index settles them.
 */
export const LINK_CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const LINK_CODE_LENGTH = 8;

export function generateLinkCode(): string {
  let code = '';
  for (let i = 0; i < LINK_CODE_LENGTH; i++) code += LINK_CODE_ALPHABET[randomInt(LINK_CODE_ALPHABET.length)];
  return code;
}
