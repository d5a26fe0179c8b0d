import { Type, type Static } from 'typebox';
import { listQuerySchema } from '../../http/list-query.js';
import { PLAIN_TEXT } from '../../http/plain-text.js';

/**
 * The single source of truth for a customer: these schemas validate requests,
 * type the handlers and the store, and become the OpenAPI document.
 */
const name = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '\\S',
  format: PLAIN_TEXT,
  description: '1–200 characters, not only spaces; no control, line-break or direction-override characters',
  examples: ['Scylla Buss'],
});
const email = Type.String({ format: 'email', maxLength: 254, description: 'Unique, ignoring case', examples: ['scylla.buss@codecademy.org'] });

// Read-only fields may be sent back as received from a GET; they are ignored.
const readOnly = {
  id: Type.Optional(Type.Unknown({ description: 'Ignored: ids are assigned by the server' })),
  createdAt: Type.Optional(Type.Unknown({ description: 'Ignored' })),
  updatedAt: Type.Optional(Type.Unknown({ description: 'Ignored' })),
};

export const CustomerInput = Type.Object({ name, email, ...readOnly }, { additionalProperties: false, $id: 'CustomerInput', description: 'Also accepted wrapped, as in the seed: {"customer": {…}}' });
export const CustomerPatch = Type.Object(
  { name: Type.Optional(name), email: Type.Optional(email), ...readOnly },
  { additionalProperties: false, $id: 'CustomerPatch', description: 'Merge patch (RFC 7396): only the fields sent change' },
);

export const Customer = Type.Object(
  {
    id: Type.Integer({ examples: [123] }),
    name: Type.String(),
    email: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Customer' },
);

export const CUSTOMER_SORTABLE = ['id', 'name', 'email', 'createdAt', 'updatedAt'] as const;
export type CustomerSortField = (typeof CUSTOMER_SORTABLE)[number];

export const CustomerListQuery = listQuerySchema(CUSTOMER_SORTABLE, {
  email: Type.Optional(Type.String({ maxLength: 254, description: 'Exact email, ignoring case' })),
  name: Type.Optional(Type.String({ maxLength: 200, description: 'Exact name' })),
});

export const CustomerParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

export type CustomerInput = Static<typeof CustomerInput>;
export type CustomerPatch = Static<typeof CustomerPatch>;
export type Customer = Static<typeof Customer>;
export type CustomerListQuery = Static<typeof CustomerListQuery>;
