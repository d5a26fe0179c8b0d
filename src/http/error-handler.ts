import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BoutiqueError, CATALOGUE, UnavailableError, type ErrorCode } from '../errors.js';
import { html, page } from './html.js';
import { negotiate } from './negotiate.js';
import { bodyUnread, drainBody } from './body-drain.js';
import { sortableOf, validationError, type AjvError } from './validation.js';
import type { Problem } from './problem.js';

const ERROR_TYPES = ['application/problem+json', 'application/json', 'text/html', 'text/plain'] as const;

/** What sendError writes: a client that asks for application/json gets problem+json, which is JSON. */
export const ERROR_MEDIA_TYPES = ['application/problem+json', 'text/html', 'text/plain'] as const;

/** Turns any thrown error into a BoutiqueError: the catalogue is the only thing that reaches the wire. */
export function toBoutiqueError(err: unknown, request: FastifyRequest): BoutiqueError {
  if (err instanceof BoutiqueError) return err;
  if (err instanceof UnavailableError) return new BoutiqueError('SERVICE_UNAVAILABLE', 'A backing service is unavailable; try again shortly.', { headers: { 'retry-after': '5' } });
  const fe = err as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const context = fe.validationContext;
    if (context === 'params') return new BoutiqueError('NOT_FOUND', 'No resource exists at this path.');
    return validationError(fe.validation, context === 'querystring' ? 'querystring' : 'body', sortableOf(request.routeOptions.schema?.querystring));
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BoutiqueError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here; send application/json.`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BoutiqueError('PAYLOAD_TOO_LARGE', `The body is larger than the limit of ${request.routeOptions.bodyLimit ?? 0} bytes.`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BoutiqueError('BAD_REQUEST', 'The body is empty but Content-Type says JSON.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new BoutiqueError('BAD_REQUEST', 'The body is not valid JSON.');
  }
  if (err instanceof SyntaxError || fe.statusCode === 400) return new BoutiqueError('BAD_REQUEST', 'The request could not be read: ' + (fe.message ?? 'malformed').replace(/\s+at .*/s, ''));
  if (fe.statusCode === 429) return new BoutiqueError('TOO_MANY_REQUESTS', fe.message ?? 'Too many requests.');
  if (fe.statusCode === 413) return new BoutiqueError('PAYLOAD_TOO_LARGE', 'The body is larger than the limit.');
  if (fe.statusCode === 415) return new BoutiqueError('UNSUPPORTED_MEDIA_TYPE', 'This Content-Type is not accepted here.');
  if (fe.statusCode === 503) return new BoutiqueError('SERVICE_UNAVAILABLE', 'The server is shutting down or a backing service is unavailable.');
  if (fe.statusCode === 404) return new BoutiqueError('NOT_FOUND', 'No resource exists at this path.');
  return new BoutiqueError('INTERNAL', 'Something failed on the server. It was logged with the request id in X-Request-Id.');
}

export function problemOf(error: BoutiqueError, request: FastifyRequest): Problem {
  return {
    type: error.type,
    title: error.title,
    status: error.status,
    detail: error.detail,
    instance: request.url,
    ...(error.extra.errors ? { errors: error.extra.errors } : {}),
  };
}

/** Sends an error in the form the client accepts: problem+json (RFC 9457) by default, or HTML, or text. */
export function sendError(error: BoutiqueError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = problemOf(error, request);
  reply.code(error.status);
  for (const [name, value] of Object.entries(error.extra.headers ?? {})) reply.header(name, value);
  reply.header('vary', 'Accept');
  reply.removeHeader('etag');
  const media = negotiate(request.headers.accept, ERROR_TYPES) ?? 'application/problem+json';
  if (media === 'text/html') {
    return reply.type('text/html; charset=utf-8').send(
      page(request, {
        title: `${problem.status} ${problem.title}`,
        body: html`<div class="problem"><p>${problem.detail}</p>
${problem.errors ? html`<ul class="errors">${problem.errors.map((e) => html`<li><code>${e.field}</code> ${e.message}</li>`)}</ul>` : ''}
<p class="muted">Problem type <a href="${problem.type}">${problem.type}</a> · request id <code>${request.id}</code></p></div>`,
      }),
    );
  }
  if (media === 'text/plain') {
    const lines = [`${problem.status} ${problem.title}`, problem.detail, ...(problem.errors ?? []).map((e) => `- ${e.field}: ${e.message}`)];
    return reply.type('text/plain; charset=utf-8').send(lines.join('\n') + '\n');
  }
  return reply.type('application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const error = toBoutiqueError(err, request);
    if (error.status >= 500) {
      request.log.error({ err, code: error.code }, 'request failed');
    }
    // An error can come before the body was read (too large, wrong type, no token): read the rest
    // first so that the client is there to read the answer.
    if (bodyUnread(request.raw)) {
      return drainBody(request.raw).then(() => {
        sendError(error, request, reply);
      });
    }
    return sendError(error, request, reply);
  });
  app.setNotFoundHandler((request, reply) => sendError(new BoutiqueError('NOT_FOUND', `Nothing is at ${request.url.split('?')[0]}.`), request, reply));
}

export function catalogueEntry(slug: string): (typeof CATALOGUE)[ErrorCode] | undefined {
  return Object.values(CATALOGUE).find((e) => e.slug === slug);
}

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a malformed percent-escape
 * in the path, a path parameter over maxParamLength) would otherwise reach the wire as Fastify's
 * own `{"error","message","statusCode"}` JSON, not a problem (found by test/fuzz-rest.test.ts).
 * No hook runs for them, hence the nosniff here.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('x-content-type-options', 'nosniff');
  const error =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new BoutiqueError('NOT_FOUND', 'No resource exists at this path.')
      : err.code === 'FST_ERR_BAD_URL'
        ? new BoutiqueError('BAD_REQUEST', 'The path is not validly percent-encoded.')
        : toBoutiqueError(err, request);
  return sendError(error, request, reply);
}
