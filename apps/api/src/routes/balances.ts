import { accountEntriesQuery, accountStatementSchema, balanceListSchema, balanceQuery } from '@app/contracts/balances';
import { idParams, problemResponses } from '@app/contracts/common';
import { getBalances } from '@app/domain/ledger/balances-view';
import { listAccountEntries } from '@app/domain/ledger/list-account-entries';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;

export function balanceRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/balances',
    {
      schema: {
        tags: ['balances'],
        summary: "Balances per currency from the ledger: a merchant's prepaid (available, reserved), an affiliate's earnings (pending, available)",
        querystring: balanceQuery,
        response: { 200: balanceListSchema, ...errors },
      },
    },
    async (request) => getBalances(deps, actorOf(request), request.query),
  );
  r.get(
    '/v1/ledger/accounts/:id/entries',
    {
      schema: {
        tags: ['balances'],
        summary: "An account's statement, oldest first, with the running balance on its normal side",
        params: idParams,
        querystring: accountEntriesQuery,
        response: { 200: accountStatementSchema, ...errors },
      },
    },
    async (request) => listAccountEntries(deps, actorOf(request), request.params.id, request.query),
  );
}
