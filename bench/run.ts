// Runs every benchmark and prints one line per figure beside its baseline from the same run.
// BENCH_DURATION_MS sets how long each timed phase lasts (default 3000).
import { benchCourier } from "./courier.bench.ts";
import { benchEventStore } from "./event-store.bench.ts";
import { benchIdentity } from "./identity.bench.ts";

const benches: Array<[string, () => Promise<void>]> = [
  ["event store", benchEventStore],
  ["identity", benchIdentity],
  ["courier", benchCourier],
];

for (const [name, run] of benches) {
  process.stdout.write(`# ${name}\n`);
  await run();
}
