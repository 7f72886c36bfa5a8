/**
 * Counts intake commands being handled, so that a graceful stop waits for them (their payments are committed and
 * handed to the queue before Redis and PostgreSQL close) and so that an overloaded hub can answer "temporary error,
 * repeat later" at once instead of letting every provider's answer wait behind an ever longer queue.
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get size(): number {
    return this.count;
  }

  /** False when the limit is reached: the caller should refuse with its protocol's temporary error. */
  tryEnter(): boolean {
    if (this.count >= this.limit) return false;
    this.count += 1;
    return true;
  }

  leave(): void {
    this.count -= 1;
    if (this.count === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  drained(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
