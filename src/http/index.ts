import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import formbody from '@fastify/formbody';
import type { TSchema } from 'typebox';
import { BoutiqueError } from '../errors.js';
import { registerErrorHandler } from './error-handler.js';
import { registerAuth, type Access } from './auth.js';
import { collectRoutes } from './openapi.js';
import { registerJsonBody } from './json-body.js';
import { createValidators } from './validation.js';
import { elapsedMs, safeUrl } from '../logger.js';
import type { AnswerStep } from './answer.js';

declare module 'fastify' {
  interface FastifyInstance {
    openapi: () => Record<string, unknown>;
  }
}
import { LIST_TYPES, RESOURCE_TYPES, negotiate, type MediaType } from './negotiate.js';

const NEGOTIATES = Symbol('negotiates');

/**
 * The onRequest hook of a route that has representations: records the route (src/http/route-of.ts),
 * then picks a representation for Accept, or 406 before anything else runs.
 */
function negotiation(offered: readonly MediaType[], url: string): onRequestHookHandler {
  const hook: onRequestHookHandler = (request, reply, done) => {
    request.routeUrl = url;
    reply.header('vary', 'Accept');
    const chosen = negotiate(request.headers.accept, offered);
    if (chosen === null) {
      return done(new BoutiqueError('NOT_ACCEPTABLE', `Cannot serve ${request.headers.accept}; this resource is available as ${offered.join(', ')}.`));
    }
    request.media = chosen;
    done();
  };
  return Object.assign(hook, { [NEGOTIATES]: true });
}

/** Levels at which the per-request info line is written. */
const LOGS_REQUESTS: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

/**
 * One line per request at info: method, path, status and time; no headers, no bodies. A step of
 * the onSend hook (src/http/answer.ts): written as the answer is handed to the socket, since
 * Fastify, run without a logger of its own, does not watch responses finish (src/logger.ts
 * createLogger). Checked first: below info (LOG_LEVEL=warn) the line, and the regex safeUrl runs,
 * would be built for nothing on every request.
 */
export const requestLine: AnswerStep = (request, reply) => {
  if (LOGS_REQUESTS.has(request.log.level)) {
    request.log.info({ method: request.method, url: safeUrl(request.url), status: reply.statusCode, ms: Math.round(elapsedMs(request) * 100) / 100 }, 'request');
  }
};

export async function registerHttp(app: FastifyInstance, access: Access, schemas: readonly TSchema[], options: { rateLimited: boolean }): Promise<void> {
  app.decorate('openapi', collectRoutes(app, { schemas, access, rateLimited: options.rateLimited }));
  const validators = createValidators();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.body : validators.query).compile(schema));

  registerJsonBody(app);
  // RFC 7396 merge patches are JSON; HTML forms post urlencoded bodies (turned into JSON-shaped objects by each resource).
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  // Fastify parses text/plain by default; no route takes it, so such a body is a 415 rather than a confusing 422.
  app.removeContentTypeParser('text/plain');
  await app.register(formbody);

  registerAuth(app, access);
  app.decorateRequest('media', 'application/json');
  app.decorateRequest('routeUrl', '');
  // Negotiation is a hook of each route that asks for it (config.negotiate), added as the route
  // is declared: a global hook would read `request.routeOptions`, which Fastify builds afresh on
  // every access. Synchronous (done-style): an async hook costs a promise and a microtask per
  // request with nothing to await.
  app.addHook('onRoute', (route) => {
    const mode = route.config?.negotiate;
    if (mode === undefined) return;
    const hooks = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    // The HEAD twin of a GET route arrives here with the GET's hooks, negotiation included.
    if (hooks.some((hook) => NEGOTIATES in hook)) return;
    route.onRequest = [negotiation(mode === 'list' ? LIST_TYPES : RESOURCE_TYPES, route.url), ...hooks];
  });

  registerErrorHandler(app);
}
