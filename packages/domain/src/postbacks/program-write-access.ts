import type { Actor } from '../shared/actor';
import { DomainError, notFound } from '../shared/errors';
import { requireMerchantWrite } from '../shared/policies';

/**
 * Write access to a program's settings, as to its merchant; those who may not even see
 * the merchant are told the program does not exist (not which merchant owns it).
 */
export function requireProgramWrite(actor: Actor, program: { id: string; merchantId: string }): void {
  try {
    requireMerchantWrite(actor, program.merchantId);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'not_found') throw notFound('Program', program.id);
    throw error;
  }
}
