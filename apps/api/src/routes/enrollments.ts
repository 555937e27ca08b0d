import { idParams, page, problemResponses } from '@app/contracts/common';
import {
  createEnrollmentBody,
  decisionBody,
  directoryEntrySchema,
  directoryQuery,
  enrollmentListQuery,
  enrollmentParams,
  enrollmentSchema,
  marketplaceProgramSchema,
  marketplaceQuery,
  updateEnrollmentBody,
} from '@app/contracts/enrollments';
import { answerInvite } from '@app/domain/enrollments/answer-invite';
import { applyToProgram } from '@app/domain/enrollments/apply-to-program';
import { decideEnrollment } from '@app/domain/enrollments/decide-enrollment';
import { inviteAffiliate } from '@app/domain/enrollments/invite-affiliate';
import { listMyEnrollments } from '@app/domain/enrollments/list-my-enrollments';
import { listProgramEnrollments } from '@app/domain/enrollments/list-program-enrollments';
import { updateEnrollment } from '@app/domain/enrollments/update-enrollment';
import { browseMarketplace } from '@app/domain/marketplace/browse-marketplace';
import { searchDirectory } from '@app/domain/marketplace/search-directory';
import type { Deps } from '@app/domain/shared/deps';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../plugins/auth';

const errors = problemResponses;
const tags = ['partners'];

export function enrollmentRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/marketplace/programs',
    {
      schema: {
        tags,
        summary: 'Programs an affiliate may browse and apply to',
        querystring: marketplaceQuery,
        response: { 200: page(marketplaceProgramSchema), ...errors },
      },
    },
    async (request) => browseMarketplace(deps, actorOf(request), request.query),
  );
  r.get(
    '/v1/directory/affiliates',
    {
      schema: {
        tags,
        summary: "The network's publisher directory (merchants, network staff)",
        querystring: directoryQuery,
        response: { 200: page(directoryEntrySchema), ...errors },
      },
    },
    async (request) => searchDirectory(deps, actorOf(request), request.query),
  );
  r.get(
    '/v1/enrollments',
    { schema: { tags, summary: "The signed-in affiliate's programs", querystring: enrollmentListQuery, response: { 200: page(enrollmentSchema), ...errors } } },
    async (request) => listMyEnrollments(deps, actorOf(request), request.query),
  );

  r.get(
    '/v1/programs/:id/enrollments',
    {
      schema: {
        tags,
        summary: "A program's applications, invites and partners",
        params: idParams,
        querystring: enrollmentListQuery,
        response: { 200: page(enrollmentSchema), ...errors },
      },
    },
    async (request) => listProgramEnrollments(deps, actorOf(request), request.params.id, request.query),
  );
  r.post(
    '/v1/programs/:id/enrollments',
    {
      schema: {
        tags,
        summary: 'An affiliate applies ({ message }), or a merchant invites ({ affiliateId })',
        params: idParams,
        body: createEnrollmentBody,
        response: { 200: enrollmentSchema, 201: enrollmentSchema, ...errors },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      if (request.body.affiliateId) {
        return reply
          .status(201)
          .send(await inviteAffiliate(deps, actor, request.params.id, { affiliateId: request.body.affiliateId, message: request.body.message }));
      }
      const { enrollment, created } = await applyToProgram(deps, actor, request.params.id, request.body);
      return reply.status(created ? 201 : 200).send(enrollment);
    },
  );
  r.patch(
    '/v1/programs/:id/enrollments/:enrollmentId',
    {
      schema: {
        tags,
        summary: "Set a partner's group or personal plan override",
        params: enrollmentParams,
        body: updateEnrollmentBody,
        response: { 200: enrollmentSchema, ...errors },
      },
    },
    async (request) => updateEnrollment(deps, actorOf(request), request.params.id, request.params.enrollmentId, request.body),
  );
  for (const action of ['approve', 'reject', 'suspend'] as const) {
    r.post(
      `/v1/programs/:id/enrollments/:enrollmentId/${action}`,
      {
        schema: {
          tags,
          summary: `The merchant's decision: ${action}`,
          params: enrollmentParams,
          body: decisionBody.nullish(),
          response: { 200: enrollmentSchema, ...errors },
        },
      },
      async (request) => decideEnrollment(deps, actorOf(request), request.params.id, request.params.enrollmentId, action, request.body ?? {}),
    );
  }
  for (const answer of ['accept', 'decline'] as const) {
    r.post(
      `/v1/programs/:id/enrollments/:enrollmentId/${answer}`,
      { schema: { tags, summary: `The invited affiliate's answer: ${answer}`, params: enrollmentParams, response: { 200: enrollmentSchema, ...errors } } },
      async (request) => answerInvite(deps, actorOf(request), request.params.id, request.params.enrollmentId, answer),
    );
  }
}
