import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { transfersApi } from "../../src/api/transfers-routes.ts";
import { EVIDENCE_MAX_BYTES } from "../../src/transfers/evidence.ts";
import { expectLedgerConsistent, startTestHub, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, expectDocumented } from "./cashier-api-client.ts";
import { evidenceBytes, evidenceItem, receipt, transfersClient, vladivostokToday } from "./transfers-client.ts";

// Filing a transfer request: finding the original payment the payer's receipt shows, and the evidence files.

let hub: TestHub;
let client: ReturnType<typeof transfersClient>;
let t: Awaited<ReturnType<ReturnType<typeof transfersClient>["signInAll"]>>;

beforeAll(async () => {
  hub = await startTestHub();
  client = transfersClient(hub);
  t = await client.signInAll();
});
afterAll(async () => {
  await hub?.stop();
});
afterEach(async () => {
  await expectLedgerConsistent(hub);
});

const sha256 = (content: Buffer) => createHash("sha256").update(content).digest("hex");

async function download(path: string, token: string) {
  const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

describe("finding the original payment", () => {
  it("when the payment is named by its id, by channel and external id, or by account, day and sum, then each finds it with what is left", async () => {
    const { paymentId, txnId } = await client.pay("100080", "777.77");
    const ways = [`paymentId=${paymentId}`, `channel=osmp:qiwi&externalId=${txnId}`, `account=100080&date=${vladivostokToday()}&amount=777.77`];
    for (const query of ways) {
      const found = await client.api.expectStatus(200, "GET", `/api/transfers/find-payment?${query}`, t.kassir1);
      expectDocumented(transfersApi.routes.findPayment, 200, found);
      expect({ query, payments: found.payments }).toEqual({
        query,
        payments: [expect.objectContaining({ id: paymentId, channel: "osmp:qiwi", externalId: txnId, account: "100080", creditedTo: "100080", amount: "777.77", status: "credited", left: "777.77", requestable: "777.77" })],
      });
    }
    // Another day, another sum: nothing.
    expect((await client.api.expectStatus(200, "GET", "/api/transfers/find-payment?account=100080&date=2020-01-01&amount=777.77", t.kassir1)).payments).toEqual([]);
    expect((await client.api.expectStatus(200, "GET", `/api/transfers/find-payment?account=100080&date=${vladivostokToday()}&amount=777.78`, t.kassir1)).payments).toEqual([]);
    for (const bad of ["", `paymentId=${paymentId}&account=100080`, "channel=osmp:qiwi", "account=100080&date=2026-02-30&amount=1.00", "account=100080&date=2026-01-01&amount=1,00"]) {
      expect({ bad, answer: await client.api.call("GET", `/api/transfers/find-payment?${bad}`, t.kassir1) }).toMatchObject({ bad, answer: { status: 400, json: { error: "bad_lookup" } } });
    }
  });

  it("when a request names the payment by its receipt (account, day, sum), then it is filed; several matches are 409 with the candidates", async () => {
    const { paymentId } = await client.pay("100081", "123.45");
    const payment = { account: "100081", date: vladivostokToday(), amount: "123.45" };
    const body = { payment, to: "100082", amount: "123.45", reason: "ошибся счётом на терминале", evidence: [receipt()] };
    const filed = await client.api.expectStatus(201, "POST", "/api/transfers", t.kassir2, body);
    expect(filed).toMatchObject({ payment: { id: paymentId }, from: "100081", to: "100082", maker: { login: "kassir2" } });

    await client.pay("100081", "123.45");
    const ambiguous = await client.api.call("POST", "/api/transfers", t.kassir2, body);
    expect(ambiguous).toMatchObject({ status: 409, json: { error: "payment_ambiguous", message: expect.stringContaining(paymentId) } });
    const byChannel = await client.api.call("POST", "/api/transfers", t.kassir2, { ...body, payment: { channel: "osmp:qiwi", externalId: "no-such-txn" } });
    expect(byChannel).toMatchObject({ status: 404, json: { error: "payment_not_found" } });
  });
});

describe("evidence", () => {
  it("when a PNG, a JPEG and a PDF are filed, then each comes back byte for byte with its type, name and sha256, as an attachment", async () => {
    const { paymentId } = await client.pay("100082", "500.00");
    const files = [
      { fileName: "чек терминала.png", contentType: "image/png", content: evidenceBytes.png(300_000) },
      { fileName: "photo.jpg", contentType: "image/jpeg", content: evidenceBytes.jpeg(10_000) },
      { fileName: "../../etc/выписка.pdf", contentType: "application/pdf", content: evidenceBytes.pdf(50_000) },
    ];
    const id = await client.filed(t.kassir1, { paymentId, to: "100083", amount: "500.00", evidence: files.map((file) => evidenceItem(file.fileName, file.contentType, file.content)) });

    const shown = await client.api.expectStatus(200, "GET", `/api/transfers/${id}`, t.kassir2);
    expectDocumented(transfersApi.routes.get, 200, shown);
    expect(shown.evidence.map((file: Record<string, unknown>) => [file.fileName, file.contentType, file.size, file.sha256])).toEqual([
      ["чек терминала.png", "image/png", 300_000, sha256(files[0]!.content)],
      ["photo.jpg", "image/jpeg", 10_000, sha256(files[1]!.content)],
      ["выписка.pdf", "application/pdf", 50_000, sha256(files[2]!.content)],
    ]);
    for (const [index, meta] of (shown.evidence as { url: string; fileName: string; contentType: string; uploadedBy: { login: string } }[]).entries()) {
      expect(meta.uploadedBy.login).toBe("kassir1");
      const got = await download(meta.url, t.starshiy);
      expect(got.status).toBe(200);
      expect(got.body.equals(files[index]!.content)).toBe(true);
      expect(got.headers.get("content-type")).toBe(meta.contentType);
      expect(got.headers.get("x-content-type-options")).toBe("nosniff");
      expect(got.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent(meta.fileName)}`);
      expect(got.headers.get("content-disposition")).toMatch(/^attachment; filename="[\x20-\x7e]+"/);
    }
    expect(await client.api.call("GET", `/api/transfers/${id}/evidence/999999`, t.kassir1)).toMatchObject({ status: 404, json: { error: "evidence_not_found" } });
    expect((await download(shown.evidence[0].url, "no-such-token")).status).toBe(401);
    // Evidence is never replaced nor removed.
    await expect(hub.hub.db.transferEvidence.deleteMany({ where: { transferRequestId: Number(id) } })).rejects.toThrow();
  });

  it("when a file is not a PNG, JPEG or PDF (by its content or its declared type), empty, or over 5 MB, then the request is refused and nothing is filed", async () => {
    const { paymentId } = await client.pay("100083", "100.00");
    const before = await hub.hub.db.transferRequest.count();
    const refusals: [string, unknown[], number, string][] = [
      ["an HTML page declared as PNG", [evidenceItem("receipt.png", "image/png", Buffer.from("<html><script>alert(1)</script></html>"))], 400, "evidence_type"],
      ["a GIF", [evidenceItem("receipt.gif", "image/gif", Buffer.from("GIF89a\x01\x00\x01\x00"))], 400, "evidence_type"],
      ["a PDF declared as JPEG", [evidenceItem("receipt.jpg", "image/jpeg", evidenceBytes.pdf())], 400, "evidence_type"],
      ["a PNG and a text file", [receipt(), evidenceItem("notes.txt", "text/plain", Buffer.from("hello"))], 400, "evidence_type"],
      ["an empty file", [evidenceItem("empty.png", "image/png", Buffer.alloc(0))], 400, "evidence_empty"],
      ["no file", [], 400, "bad_request"],
      ["not base64", [{ fileName: "x.png", contentType: "image/png", data: "not base64!" }], 400, "bad_request"],
      ["a PNG one byte over 5 MB", [evidenceItem("big.png", "image/png", evidenceBytes.png(EVIDENCE_MAX_BYTES + 1))], 400, "evidence_too_large"],
      ["two 5 MB files: a body over 8 MB", [1, 2].map(() => evidenceItem("big.png", "image/png", evidenceBytes.png(EVIDENCE_MAX_BYTES))), 413, "too_large"],
    ];
    for (const [what, evidence, status, error] of refusals) {
      const answer = await client.file(t.kassir1, { paymentId, to: "100084", amount: "100.00", evidence });
      expect({ what, status: answer.status, error: answer.json?.error }).toEqual({ what, status, error });
    }
    expect(await hub.hub.db.transferRequest.count()).toBe(before);

    // A file of exactly 5 MB is accepted.
    const full = evidenceBytes.jpeg(EVIDENCE_MAX_BYTES);
    const id = await client.filed(t.kassir1, { paymentId, to: "100084", amount: "100.00", evidence: [evidenceItem("scan.jpg", "image/jpeg", full)] });
    const shown = await client.api.expectStatus(200, "GET", `/api/transfers/${id}`, t.kassir1);
    expect((await download(shown.evidence[0].url, t.kassir1)).body.equals(full)).toBe(true);
  });
});

describe("the supervisors' queue", () => {
  it("lists requests by status, account and payment; an unknown request is 404", async () => {
    const { paymentId } = await client.pay("100084", "60.00");
    const id = await client.filed(t.kassir2, { paymentId, to: "100080", amount: "60.00" });
    const pending = await client.api.expectStatus(200, "GET", "/api/transfers?status=pending", t.starshiy);
    expectDocumented(transfersApi.routes.list, 200, pending);
    expect(pending.transfers.map((transfer: { id: string }) => transfer.id)).toContain(id);
    expect(pending.transfers.every((transfer: { status: string }) => transfer.status === "pending")).toBe(true);
    const byPayment = await client.api.expectStatus(200, "GET", `/api/transfers?paymentId=${paymentId}`, t.kassir1);
    expect(byPayment.transfers.map((transfer: { id: string }) => transfer.id)).toEqual([id]);
    const byAccount = await client.api.expectStatus(200, "GET", "/api/transfers?account=100080", t.kassir1);
    expect(byAccount.transfers.map((transfer: { id: string }) => transfer.id)).toContain(id);
    expect((await client.approve(t.admin, id)).status).toBe(200);
    expect((await client.api.expectStatus(200, "GET", "/api/transfers?status=pending", t.starshiy)).transfers.map((transfer: { id: string }) => transfer.id)).not.toContain(id);
    expect(await client.api.call("GET", "/api/transfers/999999", t.kassir1)).toMatchObject({ status: 404, json: { error: "transfer_not_found" } });
    expect(await client.api.call("GET", "/api/transfers?status=unknown", t.kassir1)).toMatchObject({ status: 400, json: { error: "bad_request" } });
  });
});
