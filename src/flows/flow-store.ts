import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { FlowKind, FlowType } from "../http/kratos/flows.ts";
import type { UiContainer } from "../http/kratos/ui.ts";

/** A self-service flow as stored. `internal` contains state the client never sees. */
export interface Flow {
  id: string;
  kind: FlowKind;
  flowType: FlowType;
  state: string;
  requestUrl: string;
  returnTo: string | null;
  identityId: string | null;
  sessionId: string | null;
  ui: UiContainer;
  internal: Record<string, unknown>;
  issuedAt: Date;
  expiresAt: Date;
}

interface FlowRow {
  id: string;
  kind: FlowKind;
  flow_type: FlowType;
  state: string;
  request_url: string;
  return_to: string | null;
  identity_id: string | null;
  session_id: string | null;
  ui: UiContainer;
  internal: Record<string, unknown>;
  issued_at: Date;
  expires_at: Date;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NewFlow = Omit<Flow, "id" | "issuedAt" | "expiresAt" | "ui"> & {
  lifespanMs: number;
  /** Builds the UI container once the flow id is known. */
  ui: (flowId: string) => UiContainer;
};

/** PostgreSQL storage of self-service flows. */
export class FlowStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async create(flow: NewFlow): Promise<Flow> {
    const id = randomUUID();
    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + flow.lifespanMs);
    const created: Flow = { ...flow, id, issuedAt, expiresAt, ui: flow.ui(id) };
    await this.#pool.query(
      `INSERT INTO flows (id, kind, flow_type, state, request_url, return_to, identity_id,
         session_id, ui, internal, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        id,
        created.kind,
        created.flowType,
        created.state,
        created.requestUrl,
        created.returnTo,
        created.identityId,
        created.sessionId,
        JSON.stringify(created.ui),
        JSON.stringify(created.internal),
        issuedAt,
        expiresAt,
      ],
    );
    return created;
  }

  /** Returns the flow, or undefined when the id is unknown, malformed or of another kind. */
  async find(id: unknown, kind: FlowKind): Promise<Flow | undefined> {
    if (typeof id !== "string" || !uuidPattern.test(id)) return undefined;
    const { rows } = await this.#pool.query<FlowRow>(
      "SELECT * FROM flows WHERE id = $1 AND kind = $2",
      [id, kind],
    );
    const row = rows[0];
    return row ? fromRow(row) : undefined;
  }

  /** Stores changed state, UI and internal state of a flow. */
  async save(flow: Flow): Promise<void> {
    await this.#pool.query(
      `UPDATE flows SET state = $2, ui = $3, internal = $4, identity_id = $5, session_id = $6,
         updated_at = now() WHERE id = $1`,
      [
        flow.id,
        flow.state,
        JSON.stringify(flow.ui),
        JSON.stringify(flow.internal),
        flow.identityId,
        flow.sessionId,
      ],
    );
  }

  /**
   * Moves a flow to `passed_challenge` unless it is there already, atomically, so that only one
   * of several parallel submissions proceeds. Returns whether this call claimed it.
   */
  async claim(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE flows SET state = 'passed_challenge', updated_at = now()
       WHERE id = $1 AND state <> 'passed_challenge'`,
      [id],
    );
    return rowCount === 1;
  }

  /** Returns a claimed flow to `state` after the work it was claimed for failed. */
  async release(id: string, state: string): Promise<void> {
    await this.#pool.query("UPDATE flows SET state = $2, updated_at = now() WHERE id = $1", [
      id,
      state,
    ]);
  }

  /**
   * Increments a counter in the flow's internal state atomically and returns the new value, so
   * parallel submissions cannot exceed an attempt limit.
   */
  async increment(id: string, counter: string): Promise<number> {
    const { rows } = await this.#pool.query<{ value: number }>(
      `UPDATE flows SET internal = jsonb_set(internal, ARRAY[$2::text],
         to_jsonb(COALESCE((internal->>$2)::int, 0) + 1)), updated_at = now()
       WHERE id = $1 RETURNING (internal->>$2)::int AS value`,
      [id, counter],
    );
    return rows[0]?.value ?? Number.POSITIVE_INFINITY;
  }

  /** Deletes flows that expired more than `graceMs` ago; returns how many. */
  async deleteExpired(graceMs: number): Promise<number> {
    const { rowCount } = await this.#pool.query(
      "DELETE FROM flows WHERE expires_at < now() - make_interval(secs => $1)",
      [graceMs / 1000],
    );
    return rowCount ?? 0;
  }
}

function fromRow(row: FlowRow): Flow {
  return {
    id: row.id,
    kind: row.kind,
    flowType: row.flow_type,
    state: row.state,
    requestUrl: row.request_url,
    returnTo: row.return_to,
    identityId: row.identity_id,
    sessionId: row.session_id,
    ui: row.ui,
    internal: row.internal,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
  };
}
