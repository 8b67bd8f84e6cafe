/**
 * Sleeping and waking of projection loops by name. A wake-up that arrives while a loop is busy
 * with a batch is kept, so that the loop does not go to sleep on events its running batch did
 * not see.
 */
export class Wakeups {
  /** Sleeping loops by projection name, each woken by a function. */
  readonly #sleepers = new Map<string, Set<() => void>>();
  /** Projections woken while their loop was busy, which then loop once more before sleeping. */
  readonly #pending = new Set<string>();

  /** Wakes a projection's sleeping loop, or keeps the wake-up until its loop next sleeps. */
  wake(name: string): void {
    const sleepers = this.#sleepers.get(name);
    if (!sleepers || sleepers.size === 0) {
      this.#pending.add(name);
      return;
    }
    for (const wake of sleepers) wake();
  }

  /** Sleeps up to `ms`; returns true when woken before that, false when the time ran out. */
  async sleep(name: string, ms: number): Promise<boolean> {
    if (this.#pending.delete(name)) return true;
    let sleepers = this.#sleepers.get(name);
    if (!sleepers) {
      sleepers = new Set();
      this.#sleepers.set(name, sleepers);
    }

    let settle!: (woken: boolean) => void;
    const woken = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    const onWake = () => settle(true);
    sleepers.add(onWake);
    const timer = setTimeout(() => settle(false), ms);
    const result = await woken;
    clearTimeout(timer);
    sleepers.delete(onWake);
    return result;
  }
}
