import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/infra/group-commit.ts";

/** A statement the test finishes by hand, to see what waits while it runs. */
interface Statement {
  items: number[];
  finish(): void;
  fail(error: Error): void;
}

function recordingGroup(options: { maxBatch: number; maxInFlight: number }, failingItem?: number) {
  const statements: Statement[] = [];
  const batchFailures: number[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      statements.push({
        items,
        finish: () => (failingItem !== undefined && items.includes(failingItem) ? reject(new Error(`item ${failingItem} breaks its statement`)) : resolve(items.map((item) => `done ${item}`))),
        fail: reject,
      });
    });
  const group = new GroupCommit<number, string>(
    options,
    run,
    (item) => run([item]).then((results) => results[0]!),
    (_error, size) => batchFailures.push(size),
  );
  return { group, statements, batchFailures };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("group commit (the intake's pays and the worker's credits)", () => {
  it("when items arrive while a statement runs, then they go together in the next one, each caller getting its own result", async () => {
    const { group, statements } = recordingGroup({ maxBatch: 64, maxInFlight: 1 });
    const first = group.submit(1);
    const later = [2, 3, 4].map((item) => group.submit(item));
    await settle();
    expect(statements.map((statement) => statement.items)).toEqual([[1]]);

    statements[0]!.finish();
    expect(await first).toBe("done 1");
    await settle();
    expect(statements.map((statement) => statement.items)).toEqual([[1], [2, 3, 4]]);
    statements[1]!.finish();
    expect(await Promise.all(later)).toEqual(["done 2", "done 3", "done 4"]);
  });

  it("when more items wait than a statement takes, then they are split by maxBatch and at most maxInFlight statements run", async () => {
    const { group, statements } = recordingGroup({ maxBatch: 3, maxInFlight: 2 });
    const results = Array.from({ length: 8 }, (_, item) => group.submit(item));
    await settle();
    // The first two found a slot free and went alone; the others wait for a statement to finish.
    expect(statements.map((statement) => statement.items)).toEqual([[0], [1]]);
    statements[1]!.finish();
    await settle();
    expect(statements.map((statement) => statement.items)).toEqual([[0], [1], [2, 3, 4]]);
    statements[0]!.finish();
    await settle();
    expect(statements.map((statement) => statement.items)).toEqual([[0], [1], [2, 3, 4], [5, 6, 7]]);
    statements[2]!.finish();
    statements[3]!.finish();
    expect(await Promise.all(results)).toEqual(Array.from({ length: 8 }, (_, item) => `done ${item}`));
  });

  it("when a batch fails, then its items are run one by one and only the item that fails alone fails its caller", async () => {
    const { group, statements, batchFailures } = recordingGroup({ maxBatch: 64, maxInFlight: 1 }, 3);
    const first = group.submit(1);
    const batch = [2, 3, 4].map((item) => group.submit(item).then((result) => ({ result }), (error: Error) => ({ error: error.message })));
    await settle();
    statements[0]!.finish();
    await first;
    await settle();
    statements[1]!.finish(); // [2, 3, 4] fails as a whole
    await settle();
    expect(batchFailures).toEqual([3]);
    expect(statements.slice(2).map((statement) => statement.items)).toEqual([[2], [3], [4]]);
    for (const statement of statements.slice(2)) statement.finish();
    expect(await Promise.all(batch)).toEqual([{ result: "done 2" }, { error: "item 3 breaks its statement" }, { result: "done 4" }]);
  });

  it("when a statement fails, then the next waiting items still run (a failure does not stall the group)", async () => {
    const { group, statements } = recordingGroup({ maxBatch: 64, maxInFlight: 1 });
    const first = group.submit(1).catch((error: Error) => error.message);
    const second = group.submit(2);
    await settle();
    statements[0]!.fail(new Error("connection lost"));
    expect(await first).toBe("connection lost");
    await settle();
    statements[1]!.finish();
    expect(await second).toBe("done 2");
  });
});
