export interface GroupCommitOptions {
  /** The most items one statement takes. */
  maxBatch: number;
  /** Statements running at once; while they run, the items that come in wait and go together in the next. */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: callers submit one item each and await its own result, and each statement takes every item waiting
 * when it starts (one round trip, one transaction, one commit for all of them). Nothing waits for a timer: an item
 * that finds a statement free goes at once (alone, under light load); under load, items gather while the statements
 * in flight commit, so batches grow with the load and a commit's cost is shared. A batch that fails (a constraint, a
 * deadlock, a lost connection) is retried item by item, so one item's failure fails only its own caller.
 */
export class GroupCommit<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly options: GroupCommitOptions,
    /** Runs a batch of two or more; answers one result per item, in the items' order. */
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    /** Runs one item alone: a batch of one, and the fallback when a batch failed. */
    private readonly runOne: (item: I) => Promise<O>,
    private readonly onBatchFailed: (error: unknown, size: number) => void,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.flush();
      });
    }
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    const one = (waiting: Waiting<I, O>) => this.runOne(waiting.item).then(waiting.resolve, waiting.reject);
    if (batch.length === 1) return one(batch[0]!);
    let results: O[];
    try {
      results = await this.runBatch(batch.map((waiting) => waiting.item));
    } catch (error) {
      this.onBatchFailed(error, batch.length);
      await Promise.all(batch.map(one));
      return;
    }
    batch.forEach((waiting, index) => waiting.resolve(results[index]!));
  }
}
