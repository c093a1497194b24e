/**
 * Versions of event payloads. Every event is written with the current version of its type in
 * `metadata.schemaVersion`; on read, upcasters lift older payloads step by step to the current one, so deciders
 * and projections only ever see the current shape.
 */
export type Upcaster = (data: unknown) => unknown;

export interface EventSchema {
  /** Current version. Starts at 1. */
  version: number;
  /** `upcasters[n]` turns version n into version n + 1. */
  upcasters?: Record<number, Upcaster>;
}

export class EventSchemaRegistry {
  readonly #schemas = new Map<string, EventSchema>();

  register(type: string, schema: EventSchema): this {
    for (let v = 1; v < schema.version; v++) {
      if (!schema.upcasters?.[v])
        throw new Error(`Event ${type}: missing upcaster from version ${v} to ${v + 1}`);
    }
    this.#schemas.set(type, schema);
    return this;
  }

  currentVersion(type: string): number {
    return this.#schemas.get(type)?.version ?? 1;
  }

  upcast(type: string, version: number, data: unknown): unknown {
    const schema = this.#schemas.get(type);
    if (!schema) return data;
    if (version > schema.version) {
      throw new Error(
        `Event ${type}: stored version ${version} is newer than this m3m knows (${schema.version})`,
      );
    }
    let current = data;
    for (let v = version; v < schema.version; v++) current = schema.upcasters![v]!(current);
    return current;
  }
}
