/**
 * A document's reusable schemas: every schema with an `$id` (Customer, ServerRoomMessage…)
 * is defined once under `components.schemas`, by that name and without the `$id`, and referenced
 * wherever it is used — in a message, inside another schema, or in a list of them.
 */
export class Components {
  readonly schemas: Record<string, unknown> = {};
  readonly #sources = new Map<string, unknown>();

  /** `schema` as it goes into the document: named schemas replaced by references. */
  use(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map((item) => this.use(item));
    if (typeof schema !== 'object' || schema === null) return schema;
    const { $id, ...rest } = schema as Record<string, unknown>;
    if (typeof $id === 'string') return this.#define($id, schema, rest);
    return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, this.use(value)]));
  }

  #define(name: string, source: unknown, body: Record<string, unknown>): { $ref: string } {
    const known = this.#sources.get(name);
    if (known === undefined) {
      this.#sources.set(name, source);
      this.schemas[name] = this.use(body);
    } else if (known !== source) {
      throw new Error(`two different schemas are named ${name}`);
    }
    return { $ref: `#/components/schemas/${name}` };
  }
}
