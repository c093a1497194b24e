import { z } from 'zod';
import { ERRORS, type ErrorEntry, isErrorCode } from '../../../application/errorCatalogue.ts';
import { problem } from '../problem.ts';
import { type HttpRoutes, PUBLIC, problems } from '../routeKit.ts';

const ProblemTypeSchema = z.object({
  code: z.string(),
  status: z.number().nullable().meta({ description: 'null: never an HTTP answer (start-up, the CLI)' }),
  title: z.string(),
  field: z.string().optional(),
  reportedAs: z.literal('validation_failed').optional(),
  description: z.string(),
});

const describe = (code: string, entry: ErrorEntry) => ({
  code,
  status: entry.status,
  title: entry.title,
  ...(entry.field === undefined ? {} : { field: entry.field }),
  ...(entry.reportedAs === undefined ? {} : { reportedAs: entry.reportedAs }),
  description: entry.doc,
});

/**
 * The error catalogue, public: every problem's `type` is `/api/v1/problems/<code>`, and this is what a client
 * (or a person following the link) finds there.
 */
export const problemRoutes: HttpRoutes = (app) => {
  app.get(
    '/problems',
    {
      schema: {
        operationId: 'listProblemTypes',
        tags: ['system'],
        summary: 'Every error code m3m answers with: status, title, the field it names, what it means',
        security: PUBLIC,
        response: { 200: z.object({ items: z.array(ProblemTypeSchema) }) },
      },
    },
    async () => ({ items: Object.entries(ERRORS).map(([code, entry]) => describe(code, entry)) }),
  );

  app.get(
    '/problems/:code',
    {
      schema: {
        operationId: 'getProblemType',
        tags: ['system'],
        summary: 'One error code: the `type` of a problem response points here',
        security: PUBLIC,
        params: z.object({ code: z.string().max(100) }),
        response: { 200: ProblemTypeSchema, ...problems(404) },
      },
    },
    async (request) => {
      const { code } = request.params;
      if (!isErrorCode(code)) throw problem('not_found', `There is no error code "${code}".`);
      return describe(code, ERRORS[code]);
    },
  );
};
