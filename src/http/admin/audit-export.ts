import { Readable } from "node:stream";
import type { Context } from "koa";
import type { Logger } from "pino";
import {
  type AuditEntry,
  type AuditFilter,
  type AuditQueries,
  auditColumns,
} from "../../queries/audit-queries.ts";
import { requestIdOf } from "../middleware/request-id.ts";

export type ExportFormat = "ndjson" | "csv";

// Rows per query while streaming; large enough to amortise round trips, small enough to keep
// memory flat however long the export is.
const exportBatchSize = 1000;

// Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
const formulaStart = /^[=+\-@\t\r]/;

/**
 * Streams every audit entry that matches `filter`, from after `after`, as NDJSON or CSV. The
 * body is produced page by page while the client reads it. A database failure midway is logged
 * and aborts the response, so a client never mistakes a cut-off export for a complete one.
 */
export function sendAuditExport(
  ctx: Context,
  options: {
    queries: AuditQueries;
    logger: Logger;
    filter: AuditFilter;
    after: string | undefined;
    format: ExportFormat;
  },
): void {
  const { format } = options;
  const lines = exportLines(options.queries, options.filter, options.after, format);
  const stream = Readable.from(logFailures(lines, options.logger, requestIdOf(ctx)));

  ctx.status = 200;
  ctx.set("Cache-Control", "no-store");
  if (format === "csv") {
    ctx.type = "text/csv; charset=utf-8";
    ctx.set("Content-Disposition", 'attachment; filename="audit-events.csv"');
  } else {
    ctx.type = "application/x-ndjson";
  }
  ctx.body = stream;
}

async function* exportLines(
  queries: AuditQueries,
  filter: AuditFilter,
  after: string | undefined,
  format: ExportFormat,
): AsyncGenerator<string> {
  if (format === "csv") yield csvLine(auditColumns);

  let cursor = after;
  for (;;) {
    const page = await queries.listEntries(filter, {
      limit: exportBatchSize,
      ...(cursor !== undefined && { after: cursor }),
    });
    for (const entry of page.entries) {
      yield format === "csv"
        ? csvLine(auditColumns.map((column) => entry[column]))
        : ndjsonLine(entry);
    }
    if (page.next === undefined) return;
    cursor = page.next;
  }
}

async function* logFailures(
  lines: AsyncGenerator<string>,
  logger: Logger,
  requestId: string | undefined,
): AsyncGenerator<string> {
  try {
    yield* lines;
  } catch (error) {
    logger.error({ err: error, request_id: requestId }, "audit export failed midway");
    throw error;
  }
}

function ndjsonLine(entry: AuditEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

/** Formats one CSV record as RFC 4180 describes, with CRLF line ends. */
export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/**
 * Formats one CSV cell. A text that a spreadsheet would run as a formula gets a leading `'`, as
 * OWASP advises against CSV injection. Every cell is quoted, with its quotes doubled, because a
 * spreadsheet that splits on another separator (`;`) would otherwise start a new cell, maybe a
 * formula, inside an unquoted one.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '""';

  let text = String(value);
  if (formulaStart.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}
