import type { SqlPool } from "../db.ts";

/**
 * Hands out hub payment ids from the payment sequence in blocks. The answer to a pay carries the hub's id and is
 * stored with the payment in the same insert, so the id must be known before the insert; drawing ids a block at a
 * time keeps that from costing a round trip per payment. Ids stay unique; like any sequence's, they may have gaps
 * (a block not used up when a process stops) and, across processes, need not follow arrival order.
 */
export class PaymentIds {
  private free: bigint[] = [];
  private refill: Promise<void> | undefined;

  constructor(
    private readonly pool: SqlPool,
    private readonly blockSize = 64,
  ) {}

  async next(): Promise<bigint> {
    for (;;) {
      const id = this.free.shift();
      if (id !== undefined) return id;
      this.refill ??= this.draw().finally(() => {
        this.refill = undefined;
      });
      await this.refill;
    }
  }

  private async draw(): Promise<void> {
    const { rows } = await this.pool.query<{ id: string }>({
      name: "payment-ids-draw",
      text: "SELECT nextval('inbound_payment_id_seq') AS id FROM generate_series(1, $1)",
      values: [this.blockSize],
    });
    this.free.push(...rows.map((row) => BigInt(row.id)));
  }
}
