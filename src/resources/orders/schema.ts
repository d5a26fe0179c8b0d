import { Type, type Static } from 'typebox';
import { listQuerySchema } from '../../http/list-query.js';

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** pending → paid → shipped, or cancelled before shipping (SPEC "HTTP: the REST API"). */
export const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: [],
  cancelled: [],
};

const status = Type.Union([Type.Literal('pending'), Type.Literal('paid'), Type.Literal('shipped'), Type.Literal('cancelled')], {
  description: 'pending → paid → shipped, or cancelled',
});

export const OrderItem = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', examples: ['TSHIRT-M-BLUE'] }),
    quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
    unitPrice: Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'In cents' }),
  },
  { additionalProperties: false },
);

const items = Type.Array(OrderItem, { minItems: 1, maxItems: 500 });

const readOnly = {
  id: Type.Optional(Type.Unknown({ description: 'Ignored' })),
  customerId: Type.Optional(Type.Unknown({ description: 'Ignored: the path names the customer' })),
  total: Type.Optional(Type.Unknown({ description: 'Ignored: computed by the server' })),
  createdAt: Type.Optional(Type.Unknown({ description: 'Ignored' })),
  updatedAt: Type.Optional(Type.Unknown({ description: 'Ignored' })),
};

export const OrderInput = Type.Object(
  { items, status: Type.Optional(Type.Literal('pending', { description: 'New orders start pending' })), ...readOnly },
  { additionalProperties: false, $id: 'OrderInput', description: 'Also accepted wrapped: {"order": {…}}' },
);
export const OrderReplace = Type.Object(
  { items, status: Type.Optional(status), ...readOnly },
  { additionalProperties: false, $id: 'OrderReplace', description: 'Replaces items (only while pending) and status (when the transition is allowed); a missing status keeps the current one' },
);
export const OrderPatch = Type.Object(
  { items: Type.Optional(items), status: Type.Optional(status), ...readOnly },
  { additionalProperties: false, $id: 'OrderPatch' },
);

/**
 * What the HTML forms post (urlencoded): the same fields, with the items as lines of text, which
 * the routes turn into OrderItem objects before the body schema validates them.
 */
const itemLines = Type.String({
  description: 'One item per line: "sku quantity unitPriceInCents" (spaces, commas or semicolons between)',
  examples: ['TSHIRT-M 2 1999\nMUG 1 1250'],
});
export const OrderInputForm = Type.Object({ ...OrderInput.properties, items: itemLines }, { additionalProperties: false, $id: 'OrderInputForm' });
export const OrderReplaceForm = Type.Object({ ...OrderReplace.properties, items: itemLines }, { additionalProperties: false, $id: 'OrderReplaceForm' });
export const OrderPatchForm = Type.Object({ ...OrderPatch.properties, items: Type.Optional(itemLines) }, { additionalProperties: false, $id: 'OrderPatchForm' });

export const Order = Type.Object(
  {
    id: Type.Integer(),
    customerId: Type.Integer(),
    items: Type.Array(OrderItem),
    total: Type.Integer({ description: 'Sum of quantity × unitPrice, in cents' }),
    status,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Order' },
);

export const ORDER_SORTABLE = ['id', 'total', 'status', 'createdAt', 'updatedAt'] as const;
export type OrderSortField = (typeof ORDER_SORTABLE)[number];

const statusFilter = Type.Optional(status);
export const CustomerOrderListQuery = listQuerySchema(ORDER_SORTABLE, { status: statusFilter });
export const OrderListQuery = listQuerySchema(ORDER_SORTABLE, {
  status: statusFilter,
  customerId: Type.Optional(Type.Integer({ minimum: 1, description: 'Orders of one customer' })),
});

export const CustomerOrdersParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
export const OrderParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  orderId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

export type OrderItem = Static<typeof OrderItem>;
export type OrderInput = Static<typeof OrderInput>;
export type OrderReplace = Static<typeof OrderReplace>;
export type OrderPatch = Static<typeof OrderPatch>;
export type Order = Static<typeof Order>;
