import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';

/** One thing done to every answer as it is handed to the socket: headers added, a count, a log line. */
export type AnswerStep = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * The one onSend hook of the app: runs `steps` in order on every answer Fastify sends (errors,
 * 404s and its own answers to malformed requests included; replies taken over to stream are not
 * answers here). One hook rather than one per concern: Fastify calls each hook of every request
 * through its hook runner, and a primary-key read is over in about 40 µs.
 * Synchronous (done-style): an async hook costs a promise per request for nothing to await.
 */
export function onAnswer(steps: readonly AnswerStep[]): onSendHookHandler {
  return (request, reply, payload, done) => {
    for (const step of steps) step(request, reply);
    done(null, payload);
  };
}
