import type pg from "pg";
import type { Logger } from "pino";
import type { FlowStore } from "../flows/flow-store.ts";
import { purgeSecurityLog } from "../security/security-log.ts";

/** How often housekeeping runs; each run is a few indexed DELETEs. */
const intervalMs = 15 * 60 * 1000;
// Expired flows stay a day, so that a late submit still gets Kratos's 410 with its details.
const expiredFlowGraceMs = 24 * 3600 * 1000;

/**
 * Starts periodic housekeeping: deleting flows expired for more than a day and security log
 * rows past their retention. Several processes may run it at once; the deletes are idempotent.
 * Returns a function that stops it.
 */
export function startMaintenance(deps: {
  pool: pg.Pool;
  flows: FlowStore;
  securityLogRetentionDays: number;
  logger: Logger;
}): () => void {
  const logger = deps.logger.child({ component: "maintenance" });
  const run = async () => {
    try {
      const flows = await deps.flows.deleteExpired(expiredFlowGraceMs);
      const securityEvents = await purgeSecurityLog(deps.pool, deps.securityLogRetentionDays);
      if (flows > 0 || securityEvents > 0) {
        logger.info({ flows, security_events: securityEvents }, "expired rows deleted");
      }
    } catch (error) {
      logger.error({ err: error }, "housekeeping failed; it runs again at the next interval");
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
