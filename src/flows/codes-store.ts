import type pg from "pg";
import { codeSubmissionsCounter } from "./codes-challenge.ts";
import type { Flow } from "./flow-store.ts";

/**
 * Stores a recovery or verification flow like `FlowStore.save`, but keeps the stored code
 * submission counter. `FlowStore.increment` raises that counter atomically, and writing back a
 * copy read earlier would lower it again and allow more guesses than the limit.
 */
export async function saveChallengeFlow(pool: pg.Pool, flow: Flow): Promise<void> {
  await pool.query(
    `UPDATE flows SET state = $2, ui = $3, identity_id = $5, session_id = $6,
       internal = CASE WHEN internal ? $7
         THEN $4::jsonb || jsonb_build_object($7::text, internal -> $7)
         ELSE $4::jsonb - $7::text END,
       updated_at = now()
     WHERE id = $1`,
    [
      flow.id,
      flow.state,
      JSON.stringify(flow.ui),
      JSON.stringify(flow.internal),
      flow.identityId,
      flow.sessionId,
      codeSubmissionsCounter,
    ],
  );
}

/**
 * Marks the flow's challenge `challengeId` used at `usedAt`, unless it was used or replaced
 * meanwhile. Returns whether this call used it, so two parallel submissions of one code
 * cannot both pass.
 */
export async function useChallenge(
  pool: pg.Pool,
  flowId: string,
  challengeId: string,
  usedAt: Date,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE flows SET internal = jsonb_set(internal, '{challenge,usedAt}', to_jsonb($3::text)),
       updated_at = now()
     WHERE id = $1 AND internal -> 'challenge' ->> 'id' = $2
       AND NOT (internal -> 'challenge' ? 'usedAt')`,
    [flowId, challengeId, usedAt.toISOString()],
  );
  return rowCount === 1;
}
