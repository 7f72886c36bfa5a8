import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { readStatusXml, statusSign } from "../../src/registries/api/arsenalpay.ts";
import { answersSha256, moscowDateTime, moscowRfc3339, rublesFromJson } from "../../src/registries/api/common.ts";
import { operationLines } from "../../src/registries/api/yoomoney.ts";
import { dueAt, registryExpectations, windowDays } from "../../src/registries/registry-missing.ts";

// The pure parts of the API registries: providers' timestamps into the Moscow day, JSON amounts without floats,
// YooMoney operations into lines, ArsenalPay's signed status request and XML answer, the registry variables and who
// is expected to send a registry by when.

describe("providers' timestamps and amounts", () => {
  it("when a timestamp has an offset (or none: Moscow), then its Moscow day and time are those of the same instant; nonsense is refused", () => {
    expect(moscowDateTime("2026-11-23T16:15:00.000+10:00")).toMatchObject({ date: "2026-11-23", time: "09:15:00" });
    expect(moscowDateTime("2026-11-22T21:30:00Z")).toMatchObject({ date: "2026-11-23", time: "00:30:00" });
    expect(moscowDateTime("2026-11-23T10:00:00+03")).toMatchObject({ date: "2026-11-23", time: "10:00:00" });
    expect(moscowDateTime("2026-11-23 23:59:59")).toMatchObject({ date: "2026-11-23", time: "23:59:59" });
    expect(moscowDateTime("2026-11-23T23:59:59.999-01:00")).toMatchObject({ date: "2026-11-24", time: "03:59:59" });
    expect(moscowDateTime("2026-11-23T10:00:00.5+03:00")!.instant.toISOString()).toBe("2026-11-23T07:00:00.500Z");
    for (const bad of ["2026-02-30T10:00:00+03:00", "2026-11-23T24:00:00Z", "23.11.2026 10:00:00", "2026-11-23", "2026-11-23T10:00:00+25:00"]) expect(moscowDateTime(bad), bad).toBeUndefined();
    expect(moscowRfc3339(new Date("2026-11-22T21:00:00Z"))).toBe("2026-11-23T00:00:00+03:00");
  });

  it("when an amount comes as a JSON number, then the digits sent are parsed strictly, never rounded: 98.5 is 98.50, 100 is 100.00, three decimals or an exponent are refused", () => {
    const kopecks = (value: unknown) => {
      const parsed = rublesFromJson(value);
      return parsed.ok ? parsed.kopecks : parsed.reason;
    };
    expect(kopecks(JSON.parse("98.50"))).toBe(9850n);
    expect(kopecks(JSON.parse("100"))).toBe(10000n);
    expect(kopecks(JSON.parse("0.07"))).toBe(7n);
    expect(kopecks(JSON.parse("1234567.89"))).toBe(123456789n);
    expect(kopecks(" 75.50 ")).toBe(7550n);
    expect(kopecks(JSON.parse("10.005"))).toMatch(/at most two digits/);
    expect(kopecks(JSON.parse("1e21"))).toMatch(/not a plain decimal/);
    expect(kopecks(-5)).toMatch(/not a plain decimal/);
    expect(kopecks(0)).toMatch(/greater than zero/);
    expect(kopecks(undefined)).toMatch(/missing/);
  });

  it("the hash of a list of answers depends on each answer and on where one ends", () => {
    const a = answersSha256([Buffer.from("ab"), Buffer.from("c")]);
    expect(answersSha256([Buffer.from("ab"), Buffer.from("c")])).toBe(a);
    expect(answersSha256([Buffer.from("a"), Buffer.from("bc")])).not.toBe(a);
    expect(answersSha256([])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("YooMoney operations into registry lines", () => {
  const operation = (fields: Record<string, unknown>) => ({ operation_id: "1", status: "success", datetime: "2026-11-23T12:00:00+03:00", direction: "in", amount: 10, label: "100080", ...fields });

  it("when the history has refused, in-progress and outgoing operations, then only successful incoming ones are lines, oldest first, the label trimmed (none: an empty account)", () => {
    const lines = operationLines(
      [
        operation({ operation_id: "b", datetime: "2026-11-23T15:00:00+03:00", label: " 100081 " }),
        operation({ operation_id: "refused", status: "refused" }),
        operation({ operation_id: "progress", status: "in_progress" }),
        operation({ operation_id: "out", direction: "out" }),
        operation({ operation_id: "a", datetime: "2026-11-23T09:00:00+03:00", label: undefined, amount: "5.5", title: "Пополнение" }),
        operation({ operation_id: "b", datetime: "2026-11-23T15:00:00+03:00", label: " 100081 " }),
      ],
      "2026-11-23",
    );
    expect(lines).toEqual([
      { line: 1, externalId: "a", account: "", amountKopecks: 550n, operation: "payment", date: "2026-11-23", time: "09:00:00", references: { datetime: "2026-11-23T09:00:00+03:00" }, payer: "Пополнение" },
      { line: 2, externalId: "b", account: "100081", amountKopecks: 1000n, operation: "payment", date: "2026-11-23", time: "15:00:00", references: { datetime: "2026-11-23T15:00:00+03:00" } },
    ]);
  });

  it("when an operation's amount or time cannot be read, then the whole registry is refused, naming the operation", () => {
    expect(() => operationLines([operation({ operation_id: "x", amount: 10.123 })], "2026-11-23")).toThrow(/operation x: amount "10.123" must have at most two digits/);
    expect(() => operationLines([operation({ operation_id: "y", datetime: "yesterday" })], "2026-11-23")).toThrow(/operation y: datetime "yesterday"/);
    expect(() => operationLines([{ status: "success" }], "2026-11-23")).toThrow(/operation 1 has no valid operation_id/);
  });
});

describe("ArsenalPay's status check", () => {
  it("SIGN is md5 over the md5 of ID, FUNCTION, RRN and the secret, as ArsenalPay's SDK makes it", () => {
    const md5 = (text: string) => createHash("md5").update(text).digest("hex");
    expect(statusSign("2096", "123456789", "qwerty")).toBe(md5(md5("2096") + md5("init_pay_mk_status") + md5("123456789") + md5("qwerty")));
  });

  it("the answer's fields are read from <main>, entities decoded; anything else is no answer", () => {
    expect(readStatusXml("<main>\n <rrn>123456789</rrn>\n <account>123456</account>\n <amount>52.40</amount>\n <datetime>2012-10-01 13:54:22</datetime>\n <status>OK_PAY</status>\n</main>")).toEqual({
      rrn: "123456789",
      account: "123456",
      amount: "52.40",
      datetime: "2012-10-01 13:54:22",
      status: "OK_PAY",
    });
    expect(readStatusXml("<main><stan>1</stan><status>ERR_ACCESS</status><phone/></main>")).toEqual({ stan: "1", status: "ERR_ACCESS", phone: "" });
    expect(readStatusXml("<html>502 Bad Gateway</html>")).toBeUndefined();
  });
});

describe("the registry variables and who must send a registry by when", () => {
  it("when nothing is set, then the API registries are fetched after 06:00 every 10 minutes, registries are due at 12:00, and every file channel is expected", () => {
    const config = loadConfig({});
    expect(config.registries).toMatchObject({ fetchIntervalMs: 600_000, apiHour: 6, dueHour: 12, apiChannels: ["yoomoney", "qiwi-bill", "arsenalpay"], due: {}, yoomoneyApiUrl: "https://yoomoney.ru" });
    const expected = registryExpectations(config.registries, []);
    expect(expected.map((entry) => entry.channel)).toContain("bank:sberbank");
    expect(expected.map((entry) => entry.channel)).not.toContain("yoomoney");
    expect(expected.every((entry) => entry.hour === 12 && !entry.everyDay)).toBe(true);
  });

  it("when REGISTRY_DUE sets hours or turns a channel off, then those apply; an API channel the worker fetches is expected every day", () => {
    const config = loadConfig({ REGISTRY_DUE: "bank:sberbank=10, osmp:qiwi=9,sms3116=off", REGISTRY_DUE_HOUR: "11", REGISTRY_API_CHANNELS: "yoomoney" });
    const expected = registryExpectations(config.registries, ["yoomoney"]);
    expect(expected.find((entry) => entry.channel === "bank:sberbank")).toEqual({ channel: "bank:sberbank", hour: 10, everyDay: false });
    expect(expected.find((entry) => entry.channel === "osmp:qiwi")).toMatchObject({ hour: 9 });
    expect(expected.find((entry) => entry.channel === "card")).toMatchObject({ hour: 11 });
    expect(expected.find((entry) => entry.channel === "sms3116")).toBeUndefined();
    expect(expected.find((entry) => entry.channel === "yoomoney")).toEqual({ channel: "yoomoney", hour: 11, everyDay: true });
    expect(loadConfig({ REGISTRY_API_CHANNELS: "none" }).registries.apiChannels).toEqual([]);
  });

  it("when REGISTRY_DUE or REGISTRY_API_CHANNELS is wrong, then start-up is refused naming what to write", () => {
    expect(() => loadConfig({ REGISTRY_DUE: "bank:sberbank=25" })).toThrow(/REGISTRY_DUE: bank:sberbank=25: the hour is 0 to 23/);
    expect(() => loadConfig({ REGISTRY_DUE: "webmoney=9" })).toThrow(/REGISTRY_DUE: "webmoney" sends no registry/);
    expect(() => loadConfig({ REGISTRY_DUE: "osmp:qiwi" })).toThrow(/REGISTRY_DUE: "osmp:qiwi" is not <channel>=<hour>\|off/);
    expect(() => loadConfig({ REGISTRY_DUE: "card=9,card=10" })).toThrow(/"card" is given twice/);
    expect(() => loadConfig({ REGISTRY_API_CHANNELS: "webmoney" })).toThrow(/REGISTRY_API_CHANNELS: "webmoney" has no API registry/);
    expect(() => loadConfig({ REGISTRY_API_HOUR: "24" })).toThrow(/REGISTRY_API_HOUR/);
  });

  it("the window is the 7 days before today (Moscow), and day D is due from D+1 at the hour, Moscow time", () => {
    // 2026-11-24 01:30 Moscow.
    const now = new Date("2026-11-23T22:30:00Z");
    expect(windowDays(now)).toEqual(["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]);
    expect(dueAt("2026-11-23", 12).toISOString()).toBe("2026-11-24T09:00:00.000Z");
    expect(dueAt("2026-11-23", 0).toISOString()).toBe("2026-11-23T21:00:00.000Z");
  });
});
