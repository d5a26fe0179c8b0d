export type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON Schema keeps only what is serializable: TypeBox's symbol-keyed metadata is dropped by JSON.stringify. */
export const plain = (schema: unknown): Json => JSON.parse(JSON.stringify(schema)) as Json;

/** Keywords whose value maps names (of properties, definitions) to schemas: their keys are data, not keywords. */
const NAMED_SCHEMAS: ReadonlySet<string> = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

/** Component names OpenAPI allows (OAS 3.1 §4.8.7.1). */
const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * The `components/schemas` of the document. A schema with an `$id` (TypeBox's named schemas:
 * `Customer`, `OrderInput`…) is defined here once, without its `$id`, and every place that uses
 * it — a request body, an array's items, another schema's property — gets a `$ref` to it instead
 * of a copy. Copies that each kept their `$id` are what made validators refuse the document
 * (one `$id` defined several times).
 */
export class SchemaComponents {
  readonly #definitions = new Map<string, Json>();
  readonly #sources = new Map<string, string>();

  /** Named schemas defined first, in this order, even when no route uses them. */
  constructor(named: readonly unknown[] = []) {
    for (const schema of named) this.use(schema);
  }

  /** The schema as the document writes it where it is used: a `$ref` for a named schema, else a copy with its named parts referenced. */
  use(schema: unknown): Json {
    return this.#walk(plain(schema)) as Json;
  }

  get definitions(): Json {
    return Object.fromEntries(this.#definitions);
  }

  #walk(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.#walk(n));
    if (!isObject(node)) return node;
    const id = node.$id;
    if (typeof id === 'string') return { $ref: this.#define(id, node) };
    return this.#body(node);
  }

  #body(node: Json): Json {
    const out: Json = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$id') continue;
      out[key] = NAMED_SCHEMAS.has(key) && isObject(value) ? Object.fromEntries(Object.entries(value).map(([name, s]) => [name, this.#walk(s)])) : this.#walk(value);
    }
    return out;
  }

  #define(id: string, node: Json): string {
    if (!COMPONENT_NAME.test(id)) throw new Error(`schema $id ${JSON.stringify(id)} cannot name an OpenAPI component`);
    const source = JSON.stringify(node);
    const known = this.#sources.get(id);
    if (known !== undefined && known !== source) throw new Error(`two different schemas have the $id ${JSON.stringify(id)}`);
    if (known === undefined) {
      this.#sources.set(id, source);
      // Reserved before its body is walked, so a schema that refers to itself ends.
      this.#definitions.set(id, {});
      this.#definitions.set(id, this.#body(node));
    }
    return `#/components/schemas/${id}`;
  }
}
