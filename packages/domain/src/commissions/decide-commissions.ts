import { withTenant } from '@app/db/with-tenant';
import type { Actor } from '../shared/actor';
import type { Deps } from '../shared/deps';
import { DomainError } from '../shared/errors';
import { applyDecision, type DecisionKind, type DecisionResult, decidedByOf, lockCommissions, mayDecide, requireDecider } from './commission-decisions';

/** At most this many commission ids or conversion externalIds per call. */
export const MAX_DECISIONS = 1000;

/** Which commissions: by id, or every commission line of these conversions of one program. */
export type CommissionSelection =
  | { ids: string[]; reason?: string | null }
  | { programId: string; externalIds: string[]; reason?: string | null }
  /** A CSV upload: rows of conversions, each with its program and (for a rejection) reason. */
  | { rows: { programId: string; externalId: string; reason: string | null }[] };

export interface DecisionItem {
  /** The commission; null when an externalId named no commission. */
  id: string | null;
  conversionId: string | null;
  externalId: string | null;
  result: DecisionResult;
  /** The commission's status after the call; null when not found. */
  status: string | null;
}

interface Group {
  programId: string | null;
  ids: string[];
  externalIds: string[];
  reason: string | null;
}

/**
 * Approves or rejects commissions in bulk (approve-commissions.ts, reject-commissions.ts),
 * in one transaction: every commission row selected is locked FOR UPDATE, and each is
 * answered on its own — `not_found` for another merchant's, another network's or an
 * unknown one, never an error for the whole call.
 */
export async function decideCommissions(deps: Deps, actor: Actor, kind: DecisionKind, selection: CommissionSelection): Promise<{ data: DecisionItem[] }> {
  requireDecider(actor);
  const groups = groupsOf(selection);
  const count = groups.reduce((n, g) => n + g.ids.length + g.externalIds.length, 0);
  if (count === 0) throw invalid('ids', 'name at least one commission or conversion');
  if (count > MAX_DECISIONS) throw invalid('ids', `at most ${MAX_DECISIONS} per call`);
  if (kind === 'reject' && groups.some((g) => !g.reason?.trim())) throw invalid('reason', 'a rejection needs a reason (shown to the affiliate)');

  return withTenant(
    deps.prisma,
    actor.tenantId,
    async (tx) => {
      const all: DecisionItem[] = [];
      for (const group of groups) {
        const data: DecisionItem[] = [];
        // The commissions named, and the conversions (by externalId) they belong to.
        let asked: { id: string; conversionId: string; externalId: string | null; merchantId: string }[];
        let missingExternal: string[] = [];
        if (group.programId === null) {
          const unique = [...new Set(group.ids)];
          const found = await tx.commission.findMany({
            where: { id: { in: unique }, kind: { not: 'network_fee' } },
            select: { id: true, conversionId: true, merchantId: true },
          });
          const byId = new Map(found.map((c) => [c.id, c]));
          asked = [];
          for (const id of unique) {
            const c = byId.get(id);
            if (c && mayDecide(actor, c.merchantId)) asked.push({ ...c, externalId: null });
            else data.push({ id, conversionId: null, externalId: null, result: 'not_found', status: null });
          }
        } else {
          const externalIds = [...new Set(group.externalIds)];
          const program = await tx.program.findUnique({ where: { id: group.programId }, select: { merchantId: true } });
          const conversions =
            program && mayDecide(actor, program.merchantId)
              ? await tx.conversion.findMany({ where: { programId: group.programId, externalId: { in: externalIds } }, select: { id: true, externalId: true } })
              : [];
          const lines = await tx.commission.findMany({
            where: { conversionId: { in: conversions.map((c) => c.id) }, kind: { not: 'network_fee' } },
            select: { id: true, conversionId: true, merchantId: true },
            orderBy: { id: 'asc' },
          });
          const externalOf = new Map(conversions.map((c) => [c.id, c.externalId]));
          asked = lines.map((l) => ({ ...l, externalId: externalOf.get(l.conversionId) ?? null }));
          const withLines = new Set(asked.map((a) => a.externalId));
          missingExternal = externalIds.filter((e) => !withLines.has(e));
        }

        const locked = await lockCommissions(
          tx,
          asked.map((a) => a.id),
        );
        const decided = await applyDecision(tx, actor.tenantId, locked, {
          kind,
          reason: kind === 'reject' ? group.reason : null,
          decidedBy: decidedByOf(actor),
        });
        for (const a of asked) {
          const d = decided.get(a.id);
          data.push({
            id: a.id,
            conversionId: a.conversionId,
            externalId: a.externalId,
            result: d?.result ?? 'not_found',
            status: d?.status ?? null,
          });
        }
        for (const externalId of missingExternal) data.push({ id: null, conversionId: null, externalId, result: 'not_found', status: null });
        // By ids: answered in the order asked.
        if (group.programId === null) {
          const position = new Map(group.ids.map((id, i) => [id, i] as const).reverse());
          data.sort((a, b) => position.get(a.id!)! - position.get(b.id!)!);
        }
        all.push(...data);
      }
      return { data: all };
    },
    { timeoutMs: 60_000 },
  );
}

function groupsOf(selection: CommissionSelection): Group[] {
  if ('ids' in selection) return [{ programId: null, ids: selection.ids, externalIds: [], reason: selection.reason ?? null }];
  if ('externalIds' in selection) return [{ programId: selection.programId, ids: [], externalIds: selection.externalIds, reason: selection.reason ?? null }];
  const groups = new Map<string, Group>();
  for (const row of selection.rows) {
    const key = JSON.stringify([row.programId, row.reason]);
    const g = groups.get(key) ?? { programId: row.programId, ids: [], externalIds: [], reason: row.reason };
    groups.set(key, g);
    g.externalIds.push(row.externalId);
  }
  return [...groups.values()];
}

function invalid(path: string, message: string): DomainError {
  return new DomainError('validation_failed', `The selection is invalid: ${message}.`, { errors: [{ path, message }] });
}
