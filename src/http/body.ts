import type { FastifyRequest } from 'fastify';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const WRAPPER = Symbol('wrapper');

type BodyHook = ((request: FastifyRequest) => Promise<void>) & { readonly [WRAPPER]: string };

/**
 * preValidation hook for write routes. Accepts the seed's wrapped body (`{"customer": {…}}`)
 * as well as the bare one, and turns an HTML form (urlencoded: every value a string) into the
 * JSON shape the schema validates. The hook carries its wrapper's name, so that the OpenAPI
 * document declares the wrapped form of exactly the routes that take it (wrapperOf).
 */
export function readBody(wrapper: string, fromForm: (form: Record<string, unknown>) => Record<string, unknown>): BodyHook {
  const hook = async (request: FastifyRequest): Promise<void> => {
    let body = request.body;
    if (isObject(body)) {
      const keys = Object.keys(body);
      if (keys.length === 1 && keys[0] === wrapper && isObject(body[wrapper])) body = body[wrapper];
      if ((request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') && isObject(body)) body = fromForm(body);
    }
    request.body = body;
  };
  return Object.assign(hook, { [WRAPPER]: wrapper });
}

/** The wrapper a route's preValidation hooks accept (`customer`), if one of them is readBody's. */
export function wrapperOf(hooks: unknown): string | undefined {
  for (const hook of [hooks].flat()) {
    if (typeof hook === 'function' && WRAPPER in hook) return (hook as BodyHook)[WRAPPER];
  }
  return undefined;
}

/** Drops empty form fields: an empty input means "not given", so PATCH leaves the field alone. */
export function formFields(form: Record<string, unknown>, keep: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(form)) {
    const v = form[key];
    if (typeof v === 'string' && v.trim() === '' && keep.includes(key)) continue;
    out[key] = typeof v === 'string' ? v.trim() : v;
  }
  return out;
}
