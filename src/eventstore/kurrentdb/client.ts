import {
  type AllStreamResolvedEvent,
  type AppendResult,
  type AppendStreamState,
  type AppendToStreamOptions,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  type EventData,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ResolvedEvent,
  type SubscribeToAllOptions,
} from "@kurrent/kurrentdb-client";

/** A `$all` subscription, reduced to the calls the adapter makes. */
export interface KurrentDbSubscription {
  on(event: "data", listener: (event: AllStreamResolvedEvent) => void): unknown;
  on(event: "confirmation", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  unsubscribe(): Promise<void>;
}

/**
 * The part of `KurrentDBClient` (`@kurrent/kurrentdb-client` 1.3) that the adapter calls. The
 * real client and the in-memory fake of the tests both satisfy it.
 */
export interface KurrentDbClient {
  appendToStream(
    streamName: string,
    events: EventData[],
    options?: AppendToStreamOptions,
  ): Promise<AppendResult>;
  readStream(streamName: string, options?: ReadStreamOptions): AsyncIterable<ResolvedEvent>;
  readAll(options?: ReadAllOptions): AsyncIterable<AllStreamResolvedEvent>;
  subscribeToAll(options?: SubscribeToAllOptions): KurrentDbSubscription;
}

/**
 * Appends events and raises the client's `WrongExpectedVersionError` on a conflict, also when
 * the client was built with `throwOnAppendFailure: false` and reports the conflict as a result.
 */
export async function appendOrRaise(
  client: KurrentDbClient,
  streamName: string,
  events: EventData[],
  streamState: AppendStreamState,
): Promise<AppendResult> {
  const result = await client.appendToStream(streamName, events, { streamState });
  if (result.success) return result;

  const current = result.nextExpectedRevision;
  throw new ClientWrongExpectedVersionError(undefined, {
    streamName,
    expected: streamState,
    current: current < 0n ? "no_stream" : current,
  });
}
