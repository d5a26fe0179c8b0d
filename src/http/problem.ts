import { Type, type Static } from 'typebox';

/**
 * An error as the API sends it (RFC 9457 problem details): the error handler builds it, and the
 * OpenAPI document describes every error response with this very schema.
 */
export const Problem = Type.Object(
  {
    type: Type.String({ description: 'The problem type, a relative URI: /problems/<slug> describes it', examples: ['/problems/not-found'] }),
    title: Type.String({ description: 'Short summary of the problem type' }),
    status: Type.Integer({ minimum: 400, maximum: 599, description: 'The HTTP status code' }),
    detail: Type.String({ description: 'What went wrong with this request' }),
    instance: Type.String({ description: 'The request target (path and query) that failed' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: 'The field, as a path: `email`, `items/0/quantity`, or a query parameter' }),
          message: Type.String(),
        }),
        { description: 'Each field that failed validation (422) or each bad query parameter (400)' },
      ),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export type Problem = Static<typeof Problem>;
