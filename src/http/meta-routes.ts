import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ownOrigin } from './csrf.js';
import { CATALOGUE } from '../errors.js';
import { catalogueEntry } from './error-handler.js';
import { html, page } from './html.js';
import { negotiate } from './negotiate.js';
import { BoutiqueError } from '../errors.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A host, a bracketed IPv6 address or a name, with an optional port: anything else in Host is not echoed. */
const SANE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** This server's URL as the client addressed it (protocol and Host, X-Forwarded-* only from a trusted proxy), or `/` (relative) when Host is missing or odd. */
function serverUrl(request: FastifyRequest): string {
  return SANE_HOST.test(request.host) ? ownOrigin(request) : '/';
}

async function check(work: () => Promise<void>): Promise<'ok' | 'unavailable'> {
  try {
    await Promise.race([work(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
    return 'ok';
  } catch {
    return 'unavailable';
  }
}

/** Health (the process answers), readiness (it can serve: database, bus, not draining), the API description, the problem types. */
export const metaRoutes: FastifyPluginAsync = async (app) => {
  const { storage, bus } = app.services;

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => reply.type(JSON_TYPE).send('{"status":"ok"}'));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const [database, busState] = await Promise.all([check(() => storage.ping()), check(() => bus.ping())]);
    const draining = !app.services.accepting;
    const ready = database === 'ok' && busState === 'ok' && !draining;
    return reply
      .code(ready ? 200 : 503)
      .type(JSON_TYPE)
      .header('cache-control', 'no-store')
      .send(JSON.stringify({ status: ready ? 'ready' : draining ? 'draining' : 'unavailable', checks: { database, bus: busState } }));
  });

  // The document names this server as the client reached it; served from a few serialized copies
  // (one per origin), so a request does not serialize the whole document again.
  const documents = new Map<string, string>();
  app.get('/openapi.json', { schema: { hide: true } }, async (request, reply) => {
    const origin = serverUrl(request);
    let body = documents.get(origin);
    if (body === undefined) {
      if (documents.size >= 16) documents.clear();
      body = JSON.stringify({ ...app.openapi(), servers: [{ url: origin, description: 'This server, as this document was fetched from it' }] });
      documents.set(origin, body);
    }
    return reply.type(JSON_TYPE).send(body);
  });

  app.get<{ Params: { slug: string } }>('/problems/:slug', { schema: { hide: true } }, async (request, reply) => {
    const entry = catalogueEntry(request.params.slug);
    if (!entry) throw new BoutiqueError('NOT_FOUND', `No problem type named ${request.params.slug}.`);
    reply.header('vary', 'Accept');
    if (negotiate(request.headers.accept, ['application/json', 'text/html'] as const) === 'text/html') {
      return reply.type('text/html; charset=utf-8').send(page(request, { title: `${entry.status} ${entry.title}`, body: html`<p>${entry.description}</p><p><a href="/problems">All problem types</a></p>` }));
    }
    return reply.type(JSON_TYPE).send(JSON.stringify({ type: `/problems/${entry.slug}`, ...entry }));
  });

  app.get('/problems', { schema: { hide: true } }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(
      page(request, {
        title: 'Problem types',
        body: html`<table class="grid"><thead><tr><th>status</th><th>type</th><th>meaning</th></tr></thead><tbody>${Object.values(CATALOGUE).map(
          (e) => html`<tr><td>${e.status}</td><td><a href="/problems/${e.slug}">/problems/${e.slug}</a></td><td>${e.description}</td></tr>`,
        )}</tbody></table>`,
      }),
    ),
  );
};
