/**
 * A resource added the way a new developer would: one module (here, in this file) and one
 * registry entry. Without touching anything else it must be guarded by the token, its list
 * cache must forget on its writes, and its changes must reach WebSocket and SSE subscribers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Generated, Selectable } from 'kysely';
import { buildApp, type App } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { DEFAULT_RESOURCES } from '../src/resources/registry.js';
import type { Resource } from '../src/resources/resource.js';
import type { WritePath } from '../src/store/write-path.js';
import type { Connection } from '../src/store/types.js';
import { createTableWithId } from '../src/store/migrations.js';
import { PageCache } from '../src/http/page-cache.js';
import type { DataClock } from '../src/http/data-clock.js';
import { represent, csvRows, type View } from '../src/http/representation.js';
import type { ListPage } from '../src/http/list-page.js';
import { TestClient } from './chat-helpers.js';
import { serveDocument } from './frame-contract.js';

// --- the products resource: table, repository, service, routes, entry ------------------------

interface ProductsTable {
  id: Generated<number>;
  name: string;
  version: number;
}

declare module '../src/store/database.js' {
  interface Database {
    products: ProductsTable;
  }
}

type ProductRow = Selectable<ProductsTable>;
const Product = Type.Object({ id: Type.Integer(), name: Type.String() }, { $id: 'Product' });
const ProductInput = Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false, $id: 'ProductInput' });
type Product = Static<typeof Product>;

const present = (row: ProductRow): Product => ({ id: row.id, name: row.name });

class ProductService {
  constructor(private readonly connection: Connection, private readonly writes: WritePath) {}

  list() {
    return this.connection.readAt(async () => (await this.connection.db.selectFrom('products').selectAll().orderBy('id').execute()).map(present));
  }

  async create(name: string) {
    return this.writes.write(async (tx) => {
      const row = await tx.db.insertInto('products').values({ name, version: 1 }).returningAll().executeTakeFirstOrThrow();
      const product = present(row);
      return { value: { value: product, version: `p${row.id}-1` }, changes: [{ resource: 'products', action: 'created' as const, data: product }] };
    });
  }
}

const view: View<ListPage<Product>> = {
  html: (list) => `<ul>${list.items.map((p) => `<li>${p.name}</li>`).join('')}</ul>`,
  text: (list) => list.items.map((p) => p.name).join('\n'),
  csv: (list) => csvRows(['id', 'name'], list.items.map((p) => [p.id, p.name])),
};

function routes(service: ProductService, clock: DataClock): FastifyPluginAsyncTypebox {
  return async (app) => {
    const pages = new PageCache<Product>(clock);
    app.get('/products', { config: { negotiate: 'list' } }, async (request, reply) =>
      pages.serve(request, reply, view, async () => {
        const { value: items, position } = await service.list();
        return { value: { items, page: 1, perPage: 100, total: items.length }, position };
      }),
    );
    app.post('/products', { config: { negotiate: 'resource' }, schema: { body: ProductInput } }, async (request, reply) => {
      const { value } = await service.create(request.body.name);
      return represent(request, reply, { html: (p) => p.name, text: (p) => p.name, csv: (p) => `${p.id},${p.name}` }, value.value, value.version, { status: 201 });
    });
  };
}

const productsResource: Resource = {
  name: 'products',
  nav: { label: 'Products', href: '/products', description: 'What the shop sells.' },
  tables: [{ name: 'products', identity: true }],
  migrations: (dialect) => ({
    '0100_products': {
      async up(db) {
        await createTableWithId(db, dialect, 'products').addColumn('name', 'text', (c) => c.notNull()).addColumn('version', 'integer', (c) => c.notNull()).execute();
      },
    },
  }),
  schemas: [Product, ProductInput],
  presented: Product,
  topics: [{ pattern: 'products' }, { pattern: 'products/{id}', field: 'id' }],
  mount(context) {
    const service = new ProductService(context.storage, context.writes);
    return { service, routes: routes(service, context.clock) };
  },
};

// --- the tests --------------------------------------------------------------------------------

const TOKEN = 'a-token-of-sixteen-chars';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('a resource added by one registry entry', () => {
  let app: App;
  let base: string;
  before(async () => {
    app = await buildApp(testConfig({ apiToken: TOKEN }), { resources: [...DEFAULT_RESOURCES, productsResource] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    // The test clients check its frames against this app's own AsyncAPI document, which has products.
    serveDocument(base, app.asyncapi());
  });
  after(() => app.close());

  test('its writes need the token (protected by default): 401 without, 201 with', async () => {
    const anonymous = await app.inject({ method: 'POST', url: '/products', payload: { name: 'Hat' } });
    assert.equal(anonymous.statusCode, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Bearer/);
    const wrong = await app.inject({ method: 'POST', url: '/products', payload: { name: 'Hat' }, headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.statusCode, 401);
    const created = await app.inject({ method: 'POST', url: '/products', payload: { name: 'Hat' }, headers: auth });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().name, 'Hat');
  });

  test('its list page cache forgets on its writes: the next GET shows the new product and a new ETag', async () => {
    const first = await app.inject({ url: '/products' });
    const again = await app.inject({ url: '/products' });
    assert.equal(again.headers.etag, first.headers.etag);
    await app.inject({ method: 'POST', url: '/products', payload: { name: 'Scarf' }, headers: auth });
    const after = await app.inject({ url: '/products' });
    assert.notEqual(after.headers.etag, first.headers.etag);
    assert.ok(after.json().some((p: Product) => p.name === 'Scarf'));
  });

  test('its changes reach WebSocket subscribers of its topics, and a bad topic of it is refused', async () => {
    const client = await TestClient.connect(base.replace('http', 'ws') + '/socketserver');
    client.send({ type: 'subscribe', topic: 'products' });
    await client.next('subscribed');
    client.send({ type: 'subscribe', topic: 'products/abc' });
    assert.equal((await client.next('error')).code, 'BAD_TOPIC');
    const created = (await app.inject({ method: 'POST', url: '/products', payload: { name: 'Gloves' }, headers: auth })).json<Product>();
    const event = await client.next('event');
    assert.equal(event.topic, 'products');
    assert.equal(event.action, 'created');
    assert.deepEqual(event.data, created);
    client.close();
  });

  test('its topics and events are in the AsyncAPI document, carrying its schema', async () => {
    const doc = (await app.inject({ url: '/asyncapi.json' })).json();
    assert.deepEqual(doc.components.schemas.Product, { type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' }, name: { type: 'string' } } });
    const variants = doc.components.schemas.LiveEvent.anyOf as { properties: { topic?: { pattern: string }; data: unknown } }[];
    const ofProducts = variants.find((v) => v.properties.topic !== undefined && new RegExp(v.properties.topic.pattern, 'u').test('products/3'));
    assert.deepEqual(ofProducts?.properties.data, { $ref: '#/components/schemas/Product' });
    assert.match(doc.channels.events.description, /`products`, `products\/\{id\}`/);
  });

  test('its changes reach SSE subscribers of its topic', async () => {
    let created: Product | undefined;
    const event = await new Promise<{ topic: string; action: string; data: Product }>((resolve, reject) => {
      const req = http.get(`${base}/events?topic=products`, (res) => {
        assert.equal(res.statusCode, 200);
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          if (buffer === '') {
            // Connected: now the write.
            void app.inject({ method: 'POST', url: '/products', payload: { name: 'Belt' }, headers: auth }).then((r) => (created = r.json<Product>()));
          }
          buffer += chunk;
          const m = /^data: (.*)$/m.exec(buffer);
          if (m) {
            req.destroy();
            resolve(JSON.parse(m[1]!));
          }
        });
      });
      req.on('error', reject);
      setTimeout(() => reject(new Error('no event within 5 s')), 5000).unref();
    });
    assert.equal(event.topic, 'products');
    assert.equal(event.action, 'created');
    assert.equal(event.data.name, 'Belt');
    assert.deepEqual(event.data, created ?? event.data);
  });

  test('it is in the navigation of every page and on the home page', async () => {
    const home = await app.inject({ url: '/' });
    assert.match(home.body, /<a href="\/products">Products<\/a>/);
    assert.match(home.body, /What the shop sells\./);
  });

  test('its named schemas are in the OpenAPI components', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.ok(doc.components.schemas.Product);
    assert.ok(doc.components.schemas.ProductInput);
  });
});
