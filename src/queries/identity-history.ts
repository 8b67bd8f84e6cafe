import { identityStreamId } from "../domain/identity/index.ts";
import type { EventStore, RecordedEvent } from "../eventstore/port.ts";
import type { PersonalDataCodec } from "../personal-data/event-codec.ts";

/** Reads an identity's own event stream for history views and time travel. */
export class IdentityHistory {
  readonly #store: EventStore;
  readonly #codec: PersonalDataCodec;

  constructor(store: EventStore, codec: PersonalDataCodec) {
    this.#store = store;
    this.#codec = codec;
  }

  /**
   * Reads up to `limit` events of the identity's stream from `fromVersion` on, with personal
   * fields decrypted, or replaced by the erased marker once the identity's key is destroyed.
   */
  async readEvents(
    identityId: string,
    options: { fromVersion: number; limit: number },
  ): Promise<RecordedEvent[]> {
    const events = await this.#store.readStream(identityStreamId(identityId), {
      fromVersion: options.fromVersion,
      toVersion: options.fromVersion + options.limit - 1,
    });
    return this.#codec.decryptEvents(events);
  }

  /**
   * Reports whether the identity was erased or deleted. Both destroy its data key, so its
   * personal fields read back as the erased marker from then on. Only event types are read,
   * nothing is decrypted.
   */
  async removalOf(identityId: string): Promise<"erased" | "deleted" | undefined> {
    const events = await this.#store.readStream(identityStreamId(identityId));
    for (const event of events) {
      if (event.type === "IdentityErased") return "erased";
      if (event.type === "IdentityDeleted") return "deleted";
    }
    return undefined;
  }
}
