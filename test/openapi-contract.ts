/**
 * Checks the OpenAPI document with tools we did not write:
 * - the document itself: @seriousme/openapi-schema-validator (the official OAS 3.1 JSON Schema,
 *   with Ajv; it also refuses an `$id` defined twice) and @hyperjump/json-schema's OAS 3.1
 *   `schema-base`, which checks every Schema Object against the OAS 3.1 dialect as well;
 * - real exchanges against it: each request body and response body is validated by
 *   @hyperjump/json-schema against the very schema the document gives at that place (full
 *   JSON Schema 2020-12 with the OAS 3.1 dialect, `$ref`s resolved inside the document, formats
 *   such as date-time and email checked). What this module does itself is only the lookup that
 *   OpenAPI defines: the operation of a method and path, the response of a status (exact, then
 *   `4XX`, then `default`), the media type of a Content-Type. A status, media type or required
 *   header the document does not declare fails.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { setShouldValidateFormat, validate, type Validator as CompiledSchema } from '@hyperjump/json-schema/openapi-3-1';
import '@hyperjump/json-schema/formats';

setShouldValidateFormat(true);

type Json = Record<string, unknown>;

/** Errors of both document validators; empty when the document is valid. */
export async function documentErrors(doc: Json): Promise<string[]> {
  const errors: string[] = [];
  const seriousme = await new Validator().validate(structuredClone(doc));
  if (!seriousme.valid) errors.push(`@seriousme/openapi-schema-validator: ${JSON.stringify(seriousme.errors)}`);
  const hyperjump = await validate('https://spec.openapis.org/oas/3.1/schema-base', structuredClone(doc) as Parameters<CompiledSchema>[0], 'BASIC');
  if (!hyperjump.valid) errors.push(`@hyperjump/json-schema (OAS 3.1 schema-base): ${JSON.stringify(hyperjump.errors?.slice(0, 10))}`);
  return errors;
}

/** What a test saw on the wire. */
export interface Exchange {
  method: string;
  /** Path and query, as requested. */
  url: string;
  request?: { contentType: string; body: string } | undefined;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

const pointer = (...segments: string[]): string => '/' + segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/** Content-Type without its parameters, lower case: `text/csv; charset=utf-8; header=present` → `text/csv`. */
const essence = (type: string): string => type.split(';')[0]!.trim().toLowerCase();
const isJson = (type: string): boolean => type === 'application/json' || type.endsWith('+json');

export class OpenApiContract {
  readonly #doc: Json;
  readonly #uri: string;
  readonly #compiled = new Map<string, Promise<CompiledSchema>>();
  readonly #paths: { template: string; pattern: RegExp }[];
  /** `GET /customers/{id}` for every operation an exchange matched. */
  readonly exercised = new Set<string>();

  /** Hyperjump reads OpenAPI documents by URI; a file named `*.openapi.json` is read as one. */
  constructor(doc: Json) {
    this.#doc = doc;
    const dir = mkdtempSync(join(tmpdir(), 'boutique-openapi-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'boutique.openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    this.#uri = pathToFileURL(file).href;
    this.#paths = Object.keys(doc.paths as Json).map((template) => ({
      template,
      pattern: new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '$'),
    }));
  }

  get operations(): string[] {
    return Object.entries(this.#doc.paths as Record<string, Json>).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
  }

  /** Fails unless the exchange is what the document says this operation does. */
  async check(exchange: Exchange): Promise<void> {
    const where = `${exchange.method} ${exchange.url} → ${exchange.status}`;
    const method = exchange.method.toLowerCase();
    const path = exchange.url.split('?')[0]!;
    const template = this.#paths.find((p) => p.pattern.test(path))?.template;
    assert.ok(template, `${where}: no path of the document matches ${path}`);
    const operation = (this.#doc.paths as Record<string, Record<string, Json>>)[template]![method];
    assert.ok(operation, `${where}: the document has no ${method.toUpperCase()} ${template}`);
    this.exercised.add(`${method.toUpperCase()} ${template}`);
    const base = ['paths', template, method];

    // A request the server took must be one the document describes; one it refused may be anything.
    if (exchange.request && exchange.status < 400) await this.#checkRequest(where, operation, base, exchange.request);

    const responses = operation.responses as Record<string, Json>;
    const status = String(exchange.status);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => responses[k] !== undefined);
    assert.ok(key, `${where}: status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`);
    let [response, at] = [responses[key]!, [...base, 'responses', key]];
    if (typeof response.$ref === 'string') {
      at = response.$ref.slice(2).split('/');
      response = this.#resolve(response.$ref);
    }

    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const [definition, headerAt] = typeof header.$ref === 'string' ? [this.#resolve(header.$ref), header.$ref.slice(2).split('/')] : [header, [...at, 'headers', name]];
      const value = exchange.headers[name.toLowerCase()];
      if (value === undefined) {
        assert.ok(definition.required !== true, `${where}: the required header ${name} is missing`);
        continue;
      }
      const schema = definition.schema as Json;
      const text = String(value);
      const typed = schema.type === 'integer' || schema.type === 'number' ? Number(text) : text;
      await this.#validate(`${where}: header ${name}`, [...headerAt, 'schema'], typed);
    }

    const content = response.content as Record<string, Json> | undefined;
    if (exchange.body === '') {
      // HEAD is answered with the headers of a GET; a body the operation always has cannot be missing otherwise.
      assert.ok(method === 'head' || content === undefined, `${where}: the body is empty, the document describes ${Object.keys(content ?? {}).join(', ')}`);
      return;
    }
    assert.notEqual(method, 'head', `${where}: HEAD answered with a body`);
    const type = exchange.headers['content-type'];
    assert.ok(typeof type === 'string', `${where}: a body without a Content-Type`);
    const media = essence(type);
    assert.ok(content?.[media], `${where}: ${media} is not documented for this response (documented: ${Object.keys(content ?? {}).join(', ') || 'no body'})`);
    const value: unknown = isJson(media) ? JSON.parse(exchange.body) : exchange.body;
    if (content[media]!.schema !== undefined) await this.#validate(`${where}: ${media} body`, [...at, 'content', media, 'schema'], value);
  }

  async #checkRequest(where: string, operation: Json, base: string[], request: { contentType: string; body: string }): Promise<void> {
    const media = essence(request.contentType);
    const content = (operation.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
    assert.ok(content?.[media], `${where}: a ${media} request body is not documented (documented: ${Object.keys(content ?? {}).join(', ') || 'none'})`);
    const value: unknown = isJson(media) ? JSON.parse(request.body) : media === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(request.body)) : request.body;
    await this.#validate(`${where}: ${media} request body`, [...base, 'requestBody', 'content', media, 'schema'], value);
  }

  #resolve(ref: string): Json {
    assert.ok(ref.startsWith('#/'), `only local references are expected, not ${ref}`);
    let node: unknown = this.#doc;
    for (const segment of ref.slice(2).split('/')) node = (node as Json)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
    assert.ok(node, `${ref} does not resolve`);
    return node as Json;
  }

  async #validate(what: string, at: string[], value: unknown): Promise<void> {
    const uri = this.#uri + '#' + pointer(...at);
    let compiled = this.#compiled.get(uri);
    if (compiled === undefined) this.#compiled.set(uri, (compiled = validate(uri)));
    const output = (await compiled)(value as Parameters<CompiledSchema>[0], 'BASIC');
    if (!output.valid) assert.fail(`${what} does not match ${pointer(...at)}: ${JSON.stringify(output.errors?.slice(0, 5))}\n${JSON.stringify(value).slice(0, 500)}`);
  }
}
