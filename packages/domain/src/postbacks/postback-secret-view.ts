import { type PostbackParam, signParams } from './postback-signature';

export interface PostbackSecretView {
  programId: string;
  secret: string;
  example: { url: string; canonical: string };
}

/**
 * The program's postback secret with a signed example GET for a sale, so a merchant can
 * check their own signing code against ours (same parameters → same canonical string).
 */
export function toPostbackSecretView(
  program: { id: string; currency: string; postbackSecret: string },
  publicUrl: string,
  nowMs = Date.now(),
): PostbackSecretView {
  const params: PostbackParam[] = [
    ['program_id', program.id],
    ['external_id', 'order-1001'],
    ['type', 'sale'],
    ['amount', '4990'],
    ['currency', program.currency],
    ['ts', String(Math.floor(nowMs / 1000))],
  ];
  const { canonical, sig } = signParams(program.postbackSecret, params);
  // The canonical string is already a well-formed, encoded query string.
  return { programId: program.id, secret: program.postbackSecret, example: { url: `${publicUrl}/postback?${canonical}&sig=${sig}`, canonical } };
}
