import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { assertProblem, buildOrder, buildTestApp, createCustomer, createOrder } from './helpers.js';

// Orders live under their customer: /customers/{id}/orders/{orderId}; /orders lists them all.
let app: App;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

const orderUrl = (o: { customerId: number; id: number }) => `/customers/${o.customerId}/orders/${o.id}`;

describe('POST /customers/:id/orders', () => {
  test('POST /customers/:id/orders › creates a pending order with its items and the computed total', async () => {
    const customer = await createCustomer(app);
    const res = await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: buildOrder() });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    const order = res.json();
    assert.equal(res.headers.location, `/customers/${customer.id}/orders/${order.id}`);
    assert.equal(order.customerId, customer.id);
    assert.equal(order.status, 'pending');
    assert.deepEqual(order.items, buildOrder().items);
    assert.equal(order.total, 2 * 1999 + 1 * 1250);
    const get = await app.inject({ method: 'GET', url: res.headers.location as string });
    assert.deepEqual(get.json(), order);
  });

  test('POST /customers/:id/orders › accepts the wrapped body {"order": {…}} and ignores a client-sent total', async () => {
    const customer = await createCustomer(app);
    const res = await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: { order: { ...buildOrder({ items: [{ sku: 'A', quantity: 3, unitPrice: 100 }] }), total: 1 } } });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().total, 300);
  });

  test('POST /customers/:id/orders › creates from an HTML form whose items textarea has one "sku quantity unitPrice" line per item', async () => {
    const customer = await createCustomer(app);
    const res = await app.inject({
      method: 'POST',
      url: `/customers/${customer.id}/orders`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ items: 'TSHIRT-M 2 1999\r\nMUG 1 1250\r\n' }).toString(),
    });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json().items, [
      { sku: 'TSHIRT-M', quantity: 2, unitPrice: 1999 },
      { sku: 'MUG', quantity: 1, unitPrice: 1250 },
    ]);
    assert.equal(res.json().total, 5248);
  });

  test('POST /customers/:id/orders › a malformed textarea line is 422 naming the line', async () => {
    const customer = await createCustomer(app);
    const res = await app.inject({
      method: 'POST',
      url: `/customers/${customer.id}/orders`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ items: 'MUG 1 1250\nbroken line here too' }).toString(),
    });
    const problem = assertProblem(res, 422);
    assert.deepEqual(problem.errors?.map((e) => e.field), ['items/1']);
  });

  test('POST /customers/:id/orders › returns 422 naming each bad item field (quantity 0, negative price, no items)', async () => {
    const customer = await createCustomer(app);
    const bad = await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: { items: [{ sku: 'A', quantity: 0, unitPrice: -1 }] } });
    const problem = assertProblem(bad, 422);
    assert.deepEqual(problem.errors?.map((e) => e.field).sort(), ['items/0/quantity', 'items/0/unitPrice']);
    const empty = assertProblem(await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: { items: [] } }), 422);
    assert.deepEqual(empty.errors?.map((e) => e.field), ['items']);
  });

  test('POST /customers/:id/orders › a new order cannot start paid: 422 naming status', async () => {
    const customer = await createCustomer(app);
    const problem = assertProblem(await app.inject({ method: 'POST', url: `/customers/${customer.id}/orders`, payload: { ...buildOrder(), status: 'paid' } }), 422);
    assert.ok(problem.errors?.some((e) => e.field === 'status'));
  });

  test('POST /customers/:id/orders › returns 404 for an unknown customer', async () => {
    assertProblem(await app.inject({ method: 'POST', url: '/customers/999999/orders', payload: buildOrder() }), 404);
  });
});

describe('GET /customers/:id/orders/:orderId', () => {
  test('GET /customers/:id/orders/:orderId › returns 404 for an order under another customer\'s path', async () => {
    const owner = await createCustomer(app);
    const other = await createCustomer(app);
    const order = await createOrder(app, owner.id);
    assert.equal((await app.inject({ method: 'GET', url: `/customers/${owner.id}/orders/${order.id}` })).statusCode, 200);
    assertProblem(await app.inject({ method: 'GET', url: `/customers/${other.id}/orders/${order.id}` }), 404);
    // Nor can it be changed or deleted through the wrong path.
    assertProblem(await app.inject({ method: 'PATCH', url: `/customers/${other.id}/orders/${order.id}`, payload: { status: 'paid' } }), 404);
    assertProblem(await app.inject({ method: 'DELETE', url: `/customers/${other.id}/orders/${order.id}` }), 404);
    assert.equal((await app.inject({ method: 'GET', url: `/customers/${owner.id}/orders/${order.id}` })).json().status, 'pending');
  });

  test('GET /customers/:id/orders › lists only that customer\'s orders', async () => {
    const a = await createCustomer(app);
    const b = await createCustomer(app);
    const mine = await createOrder(app, a.id);
    await createOrder(app, b.id);
    const res = await app.inject({ method: 'GET', url: `/customers/${a.id}/orders` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().map((o: { id: number }) => o.id), [mine.id]);
    assert.equal(res.headers['x-total-count'], '1');
  });

  test('GET /customers/:id/orders › returns 404 for an unknown customer', async () => {
    assertProblem(await app.inject({ method: 'GET', url: '/customers/999999/orders' }), 404);
  });
});

describe('status transitions and item changes', () => {
  test('PATCH /customers/:id/orders/:orderId › moves pending → paid → shipped', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    const paid = await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'paid' } });
    assert.equal(paid.statusCode, 200);
    assert.equal(paid.json().status, 'paid');
    const shipped = await app.inject({ method: 'PATCH', url: orderUrl(order), headers: { 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify({ status: 'shipped' }) });
    assert.equal(shipped.statusCode, 200);
    assert.equal(shipped.json().status, 'shipped');
    assert.deepEqual(shipped.json().items, order.items, 'a status change keeps the items');
  });

  test('PATCH /customers/:id/orders/:orderId › shipped → pending is 422 naming status, and the order stays shipped', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'paid' } });
    await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'shipped' } });
    const problem = assertProblem(await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'pending' } }), 422);
    assert.deepEqual(problem.errors?.map((e) => e.field), ['status']);
    assert.match(problem.errors![0]!.message, /shipped/);
    assert.equal((await app.inject({ method: 'GET', url: orderUrl(order) })).json().status, 'shipped');
  });

  test('PATCH /customers/:id/orders/:orderId › pending → shipped skips paid: 422; pending → cancelled is fine; cancelled is final', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    assertProblem(await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'shipped' } }), 422);
    assert.equal((await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'cancelled' } })).json().status, 'cancelled');
    assertProblem(await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'paid' } }), 422);
  });

  test('PATCH /customers/:id/orders/:orderId › an unknown status is 422 naming status', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    const problem = assertProblem(await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'lost' } }), 422);
    assert.ok(problem.errors?.length);
    assert.ok(problem.errors?.every((e) => e.field === 'status'));
  });

  test('PATCH /customers/:id/orders/:orderId › items change while pending, and the total follows', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    const res = await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { items: [{ sku: 'POSTER', quantity: 4, unitPrice: 500 }] } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().items, [{ sku: 'POSTER', quantity: 4, unitPrice: 500 }]);
    assert.equal(res.json().total, 2000);
    assert.equal(res.json().status, 'pending');
  });

  test('PATCH /customers/:id/orders/:orderId › items cannot change once paid: 422 naming items', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { status: 'paid' } });
    const problem = assertProblem(await app.inject({ method: 'PATCH', url: orderUrl(order), payload: { items: [{ sku: 'X', quantity: 1, unitPrice: 1 }] } }), 422);
    assert.deepEqual(problem.errors?.map((e) => e.field), ['items']);
    assert.equal((await app.inject({ method: 'GET', url: orderUrl(order) })).json().total, order.total);
  });

  test('PUT /customers/:id/orders/:orderId › replaces the items of a pending order; a missing status keeps the current one', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    const res = await app.inject({ method: 'PUT', url: orderUrl(order), payload: { items: [{ sku: 'CAP', quantity: 1, unitPrice: 900 }] } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().total, 900);
    assert.equal(res.json().status, 'pending');
  });

  test('PUT /customers/:id/orders/:orderId › without items is 422 naming items', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    const problem = assertProblem(await app.inject({ method: 'PUT', url: orderUrl(order), payload: { status: 'paid' } }), 422);
    assert.deepEqual(problem.errors, [{ field: 'items', message: 'is required' }]);
  });

  test('PATCH /customers/:id/orders/:orderId › from an HTML form: status select and items textarea', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    const res = await app.inject({
      method: 'PATCH',
      url: orderUrl(order),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ status: 'pending', items: 'BOOK 3 1500' }).toString(),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().total, 4500);
  });
});

describe('DELETE', () => {
  test('DELETE /customers/:id/orders/:orderId › 204 with no body, then 404', async () => {
    const customer = await createCustomer(app);
    const order = await createOrder(app, customer.id);
    const res = await app.inject({ method: 'DELETE', url: orderUrl(order) });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assertProblem(await app.inject({ method: 'GET', url: orderUrl(order) }), 404);
  });

  test('DELETE /customers/:id › deletes the customer\'s orders: they 404 and /orders no longer lists them', async () => {
    const customer = await createCustomer(app);
    const survivor = await createCustomer(app);
    const orders = [await createOrder(app, customer.id), await createOrder(app, customer.id)];
    const kept = await createOrder(app, survivor.id);
    assert.equal((await app.inject({ method: 'DELETE', url: `/customers/${customer.id}` })).statusCode, 204);
    for (const order of orders) assertProblem(await app.inject({ method: 'GET', url: orderUrl(order) }), 404);
    const all = await app.inject({ method: 'GET', url: '/orders?per_page=100' });
    const ids = all.json().map((o: { id: number }) => o.id);
    for (const order of orders) assert.ok(!ids.includes(order.id));
    assert.ok(ids.includes(kept.id));
    assert.deepEqual((await app.inject({ method: 'GET', url: `/orders?customerId=${customer.id}` })).json(), []);
    assertProblem(await app.inject({ method: 'GET', url: `/customers/${customer.id}/orders` }), 404);
  });
});

describe('GET /orders', () => {
  test('GET /orders › lists every customer\'s orders, filterable by status and customerId', async () => {
    const local = await buildTestApp();
    try {
      const a = await createCustomer(local);
      const b = await createCustomer(local);
      const a1 = await createOrder(local, a.id);
      const a2 = await createOrder(local, a.id);
      const b1 = await createOrder(local, b.id);
      await local.inject({ method: 'PATCH', url: orderUrl(a2), payload: { status: 'paid' } });
      await local.inject({ method: 'PATCH', url: orderUrl(b1), payload: { status: 'paid' } });
      const ids = async (url: string) => (await local.inject({ method: 'GET', url })).json().map((o: { id: number }) => o.id);
      assert.deepEqual(await ids('/orders'), [a1.id, a2.id, b1.id]);
      assert.deepEqual(await ids('/orders?status=paid'), [a2.id, b1.id]);
      assert.deepEqual(await ids(`/orders?customerId=${a.id}`), [a1.id, a2.id]);
      assert.deepEqual(await ids(`/orders?customerId=${a.id}&status=paid`), [a2.id]);
      assert.deepEqual(await ids(`/customers/${a.id}/orders?status=pending`), [a1.id]);
      assert.deepEqual(await ids('/orders?sort=-total,id'), [a1.id, a2.id, b1.id]);
    } finally {
      await local.close();
    }
  });

  test('GET /orders › an unknown status filter is 400 naming status', async () => {
    const problem = assertProblem(await app.inject({ method: 'GET', url: '/orders?status=lost' }), 400);
    assert.ok(problem.errors?.some((e) => e.field === 'status'));
  });

  test('PUT /orders › returns 405 with Allow: GET, HEAD, OPTIONS', async () => {
    const res = await app.inject({ method: 'PUT', url: '/orders', payload: {} });
    assertProblem(res, 405);
    assert.equal(res.headers.allow, 'GET, HEAD, OPTIONS');
  });

  test('OPTIONS on the order paths › Allow lists each path\'s methods', async () => {
    const allow = async (url: string) => (await app.inject({ method: 'OPTIONS', url })).headers.allow;
    assert.equal(await allow('/orders'), 'GET, HEAD, OPTIONS');
    assert.equal(await allow('/customers/1/orders'), 'GET, POST, HEAD, OPTIONS');
    assert.equal(await allow('/customers/1/orders/1'), 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  });
});
