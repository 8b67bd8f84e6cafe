/**
 * Turns the data of one schema version of an event type into the next version's shape.
 * It receives the stored data and returns new data; it must not mutate its argument.
 */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * Upcasters keyed by event type and the schema version they read. Both adapters apply them on
 * read, so stored events keep their original shape and every reader sees the current one.
 */
export class UpcasterRegistry {
  readonly #steps = new Map<string, Map<number, Upcaster>>();

  /** Registers the step from `fromVersion` to `fromVersion + 1` of `type`. */
  register(type: string, fromVersion: number, upcast: Upcaster): this {
    let steps = this.#steps.get(type);
    if (!steps) {
      steps = new Map();
      this.#steps.set(type, steps);
    }
    if (steps.has(fromVersion)) {
      throw new Error(`an upcaster for ${type} version ${fromVersion} is already registered`);
    }
    steps.set(fromVersion, upcast);
    return this;
  }

  /** Applies every registered step from `schemaVersion` upwards and returns the final version. */
  upcast(
    type: string,
    schemaVersion: number,
    data: Record<string, unknown>,
  ): { schemaVersion: number; data: Record<string, unknown> } {
    const steps = this.#steps.get(type);
    let version = schemaVersion;
    let current = data;
    for (let step = steps?.get(version); step; step = steps?.get(version)) {
      current = step(current);
      version += 1;
    }
    return { schemaVersion: version, data: current };
  }
}

export const noUpcasters = new UpcasterRegistry();
