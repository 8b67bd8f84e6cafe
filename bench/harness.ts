import { randomBytes } from "node:crypto";
import pg from "pg";
import { ensureDatabase, migrate } from "../src/db/migrate.ts";

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baselineName: string;
  baseline: number;
  /** True when a smaller value is better (latency); the ratio is then baseline / value. */
  lowerIsBetter?: boolean;
}

/** Prints one line per figure: name, value, the baseline from the same run, and their ratio. */
export function report(figure: Figure): void {
  const ratio = figure.lowerIsBetter
    ? figure.baseline / figure.value
    : figure.value / figure.baseline;
  const line = [
    figure.name.padEnd(36),
    `${format(figure.value)} ${figure.unit}`.padEnd(22),
    `baseline=${format(figure.baseline)} ${figure.unit} (${figure.baselineName})`.padEnd(58),
    `ratio=${ratio.toFixed(2)}`,
  ].join(" ");
  process.stdout.write(`${line}\n`);
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toString() : value.toFixed(2);
}

export interface BenchDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

const serverUrl = process.env.BENCH_DATABASE_SERVER ?? "postgres://postgres@127.0.0.1:5432";

/** Creates a fresh, migrated database for one benchmark. */
export async function createBenchDatabase(poolSize = 40): Promise<BenchDatabase> {
  const name = `rg_bench_${randomBytes(4).toString("hex")}`;
  const url = `${serverUrl}/${name}`;
  await ensureDatabase(url);
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // Idle clients still closing when the database is dropped report 57P01.
  pool.on("error", (error: Error & { code?: string }) => {
    if (error.code !== "57P01") throw error;
  });
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      // Pools of an app stopped just before may still be closing their last connections.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Runs `work` on `concurrency` workers for `durationMs` and returns operations per second. */
export async function throughput(
  concurrency: number,
  durationMs: number,
  work: () => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  let operations = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await work();
        operations += 1;
      }
    }),
  );
  return operations / ((performance.now() - started) / 1000);
}

/**
 * Measures a subject and its baseline in alternating slices, so that load from other processes
 * on a shared machine falls on both alike. Returns operations per second of each.
 */
export async function interleaved(
  concurrency: number,
  totalMs: number,
  baseline: () => Promise<void>,
  subject: () => Promise<void>,
  slices = 6,
): Promise<{ baseline: number; subject: number }> {
  const sliceMs = totalMs / (2 * slices);
  let baselineRate = 0;
  let subjectRate = 0;
  for (let slice = 0; slice < slices; slice += 1) {
    baselineRate += await throughput(concurrency, sliceMs, baseline);
    subjectRate += await throughput(concurrency, sliceMs, subject);
  }
  return { baseline: baselineRate / slices, subject: subjectRate / slices };
}
