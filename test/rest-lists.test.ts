import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/app.js';
import { buildTestApp, createCustomer, createOrder } from './helpers.js';

// Lists page with ?page=&per_page= and say where the other pages are (Link, RFC 8288) and how
// many there are (X-Total-Count); they filter by field, search with ?q=, and sort with ?sort=.
let app: App;
const ids: number[] = [];
before(async () => {
  app = await buildTestApp();
  const people = [
    { name: 'Ada Lovelace', email: 'ada@example.org' },
    { name: 'Grace Hopper', email: 'Grace.Hopper@Navy.example' },
    { name: 'Alan Turing', email: 'alan@example.org' },
    { name: 'Edsger Dijkstra', email: 'ewd@example.net' },
    { name: '100% Cotton', email: 'cotton@shop.example' },
    { name: 'snake_case', email: 'snake@shop.example' },
    { name: 'Ada Byron', email: 'byron@example.org' },
  ];
  for (const p of people) ids.push((await createCustomer(app, p)).id);
});
after(() => app.close());

const list = async (url: string) => {
  const res = await app.inject({ method: 'GET', url });
  assert.equal(res.statusCode, 200, res.body);
  return res;
};
const names = async (url: string) => (await list(url)).json().map((c: { name: string }) => c.name);

describe('paging', () => {
  test('GET /customers › without paging parameters returns the first 20, X-Total-Count and Link first/last', async () => {
    const res = await list('/customers');
    assert.equal(res.json().length, 7);
    assert.equal(res.headers['x-total-count'], '7');
    assert.equal(res.headers.link, '</customers?page=1&per_page=20>; rel="first", </customers?page=1&per_page=20>; rel="last"');
  });

  test('GET /customers?page=2&per_page=2 › returns the second page with exact first/prev/next/last links', async () => {
    const res = await list('/customers?page=2&per_page=2');
    assert.deepEqual(res.json().map((c: { id: number }) => c.id), ids.slice(2, 4));
    assert.equal(res.headers['x-total-count'], '7');
    assert.equal(
      res.headers.link,
      [
        '</customers?page=1&per_page=2>; rel="first"',
        '</customers?page=1&per_page=2>; rel="prev"',
        '</customers?page=3&per_page=2>; rel="next"',
        '</customers?page=4&per_page=2>; rel="last"',
      ].join(', '),
    );
  });

  test('GET /customers?page=1&per_page=3 › the first page has no prev link', async () => {
    const res = await list('/customers?page=1&per_page=3');
    assert.equal(res.headers.link, '</customers?page=1&per_page=3>; rel="first", </customers?page=2&per_page=3>; rel="next", </customers?page=3&per_page=3>; rel="last"');
  });

  test('GET /customers?page=3&per_page=3 › the last page has no next link and holds the remainder', async () => {
    const res = await list('/customers?page=3&per_page=3');
    assert.equal(res.json().length, 1);
    assert.equal(res.headers.link, '</customers?page=1&per_page=3>; rel="first", </customers?page=2&per_page=3>; rel="prev", </customers?page=3&per_page=3>; rel="last"');
  });

  test('GET /customers?page=9&per_page=3 › past the end is an empty page whose prev link is the last page', async () => {
    const res = await list('/customers?page=9&per_page=3');
    assert.deepEqual(res.json(), []);
    assert.equal(res.headers['x-total-count'], '7');
    assert.match(res.headers.link as string, /<\/customers\?page=3&per_page=3>; rel="prev"/);
  });

  test('GET /customers?q=ada&per_page=1 › links keep the other parameters', async () => {
    const res = await list('/customers?q=ada&per_page=1&sort=-name');
    assert.equal(res.headers['x-total-count'], '2');
    assert.equal(
      res.headers.link,
      '</customers?q=ada&per_page=1&sort=-name&page=1>; rel="first", </customers?q=ada&per_page=1&sort=-name&page=2>; rel="next", </customers?q=ada&per_page=1&sort=-name&page=2>; rel="last"',
    );
  });

  test('GET /customers › an empty result still has X-Total-Count: 0 and links to page 1', async () => {
    const res = await list('/customers?name=Nobody');
    assert.deepEqual(res.json(), []);
    assert.equal(res.headers['x-total-count'], '0');
    assert.equal(res.headers.link, '</customers?name=Nobody&page=1&per_page=20>; rel="first", </customers?name=Nobody&page=1&per_page=20>; rel="last"');
  });
});

describe('filters and search', () => {
  test('GET /customers?email= › matches the email ignoring case', async () => {
    assert.deepEqual(await names('/customers?email=grace.hopper@navy.example'), ['Grace Hopper']);
    assert.deepEqual(await names('/customers?email=ADA@EXAMPLE.ORG'), ['Ada Lovelace']);
  });

  test('GET /customers?name= › matches the exact name', async () => {
    assert.deepEqual(await names('/customers?name=Alan%20Turing'), ['Alan Turing']);
    assert.deepEqual(await names('/customers?name=Alan'), []);
  });

  test('GET /customers?q= › searches names and emails, ignoring case', async () => {
    assert.deepEqual(await names('/customers?q=ADA'), ['Ada Lovelace', 'Ada Byron']);
    assert.deepEqual(await names('/customers?q=navy'), ['Grace Hopper']);
    assert.deepEqual(await names('/customers?q=example.net'), ['Edsger Dijkstra']);
  });

  test('GET /customers?q= › treats % and _ literally, not as wildcards', async () => {
    assert.deepEqual(await names('/customers?q=%25'), ['100% Cotton']);
    assert.deepEqual(await names('/customers?q=_'), ['snake_case']);
    assert.deepEqual(await names('/customers?q=e_c'), ['snake_case']);
  });

  test('GET /customers?q= › an empty search (the HTML search box left blank) lists everyone', async () => {
    assert.equal((await list('/customers?q=')).headers['x-total-count'], '7');
    assert.equal((await list('/customers?q=%20%20')).headers['x-total-count'], '7');
  });

  test('GET /orders?q= › searches the SKUs of the items', async () => {
    const local = await buildTestApp();
    try {
      const c = await createCustomer(local);
      const shirt = await createOrder(local, c.id, { items: [{ sku: 'TSHIRT-M', quantity: 1, unitPrice: 100 }] });
      await createOrder(local, c.id, { items: [{ sku: 'MUG', quantity: 1, unitPrice: 100 }] });
      const res = await local.inject({ method: 'GET', url: '/orders?q=tshirt' });
      assert.deepEqual(res.json().map((o: { id: number }) => o.id), [shirt.id]);
    } finally {
      await local.close();
    }
  });

  test('GET /customers?q=&email= › search and filters combine', async () => {
    assert.deepEqual(await names('/customers?q=ada&email=byron@example.org'), ['Ada Byron']);
  });
});

describe('sorting', () => {
  test('GET /customers?sort=name › sorts ascending', async () => {
    const sorted = await names('/customers?sort=name');
    assert.deepEqual(sorted, [...sorted].sort());
    assert.equal(sorted[0], '100% Cotton');
  });

  test('GET /customers?sort=-id › a leading "-" sorts descending', async () => {
    const res = await list('/customers?sort=-id');
    assert.deepEqual(res.json().map((c: { id: number }) => c.id), [...ids].reverse());
  });

  test('GET /customers?sort=-createdAt,name › sorts by several fields in order', async () => {
    // Give two customers the same name so the second key decides between them.
    const local = await buildTestApp();
    try {
      const a = await createCustomer(local, { name: 'Same', email: 'b@x.example' });
      const b = await createCustomer(local, { name: 'Same', email: 'a@x.example' });
      const c = await createCustomer(local, { name: 'Other', email: 'c@x.example' });
      const order = async (url: string) => (await local.inject({ method: 'GET', url })).json().map((x: { id: number }) => x.id);
      assert.deepEqual(await order('/customers?sort=name,email'), [c.id, b.id, a.id]);
      assert.deepEqual(await order('/customers?sort=name,-email'), [c.id, a.id, b.id]);
      assert.deepEqual(await order('/customers?sort=-name,-id'), [b.id, a.id, c.id]);
    } finally {
      await local.close();
    }
  });
});
