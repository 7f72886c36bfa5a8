import { afterAll, beforeAll, expect, it } from "vitest";
import { osmp, payParams } from "../support/osmp-client.ts";
import { startTestHub, waitUntilAllCredited, type TestHub } from "../support/test-hub.ts";

// The database itself refuses what would break the ledger, whatever code (or person with psql) tries it.

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub?.stop();
});

it("when a posting's entries do not sum to zero, then the commit is refused", async () => {
  const account = await hub.hub.db.subscriberAccount.findUniqueOrThrow({ where: { number: "100080" } });
  await expect(
    hub.hub.db.$transaction(async (tx) => {
      const posting = await tx.posting.create({ data: { kind: "test-unbalanced" } });
      await tx.ledgerEntry.create({ data: { postingId: posting.id, ledgerAccountId: account.ledgerAccountId, amountKopecks: 100n } });
    }),
  ).rejects.toThrow(/unbalanced/);
  expect(await hub.hub.db.posting.count({ where: { kind: "test-unbalanced" } })).toBe(0);
});

it("when anyone updates or deletes a ledger entry or posting, then it is refused: corrections are new postings", async () => {
  const answer = await osmp(hub.url, payParams(1, "100080", "10.00"));
  expect(answer.result).toBe(0);
  await waitUntilAllCredited(hub);
  await expect(hub.hub.db.$executeRawUnsafe("UPDATE ledger_entry SET amount_kopecks = amount_kopecks * 2")).rejects.toThrow(/append-only/);
  await expect(hub.hub.db.$executeRawUnsafe("DELETE FROM ledger_entry")).rejects.toThrow(/append-only/);
  await expect(hub.hub.db.$executeRawUnsafe("DELETE FROM posting")).rejects.toThrow(/append-only/);
  expect(await hub.hub.db.ledgerEntry.count()).toBe(2);
});

it("when a payment of zero or a negative commission is written, then the database refuses it", async () => {
  const insert = (amount: bigint, commission: bigint) =>
    hub.hub.db.inboundPayment.create({
      data: { channel: "osmp:qiwi", protocol: "osmp", profile: "qiwi", externalId: `x${amount}${commission}`, accountNumber: "100080", amountKopecks: amount, commissionKopecks: commission, request: {} },
    });
  await expect(insert(0n, 0n)).rejects.toThrow(/amount_kopecks_positive/);
  await expect(insert(100n, -1n)).rejects.toThrow(/commission_kopecks_nonnegative/);
});
