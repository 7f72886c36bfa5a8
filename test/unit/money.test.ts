import { describe, expect, it } from "vitest";
import { formatRubles, parseKopecks, parseRubles, percentOf } from "../../lib/money.ts";

// The one strict parser from decimal strings to kopecks: what providers send must be read exactly, and anything
// that a lenient parser would guess at (exponents, signs, spaces, thousands separators) is refused.

function kopecksOf(text: unknown, options?: Parameters<typeof parseRubles>[1]): bigint | string {
  const parsed = parseRubles(text, options);
  return parsed.ok ? parsed.kopecks : `refused: ${parsed.reason}`;
}

describe("parseRubles", () => {
  it.each([
    ["10.45", 1045n],
    ["500", 50000n],
    ["500.5", 50050n],
    ["0.01", 1n],
    ["0.10", 10n],
    ["15000.00", 1500000n],
    ["9999999999999.99", 999999999999999n],
  ])("when the amount is %s, then it is %s kopecks", (text, kopecks) => {
    expect(parseRubles(text)).toEqual({ ok: true, kopecks });
  });

  it.each([
    ["1e3", "an exponent"],
    ["-5", "a sign"],
    ["+5", "a plus sign"],
    ["10,456", "a comma when only . is allowed"],
    ["10,45", "a comma when only . is allowed"],
    ["10.456", "three digits of kopecks"],
    ["010", "a leading zero"],
    ["00.50", "two leading zeros"],
    ["10.", "a dangling separator"],
    [".5", "no rubles digits"],
    [" 10", "a leading space"],
    ["10 ", "a trailing space"],
    ["1 000", "a thousands space"],
    ["0x10", "hexadecimal"],
    ["1_000", "an underscore separator"],
    ["10.4a", "a letter among the kopecks"],
    ["١٠", "non-ASCII digits"],
    ["10..45", "two separators"],
    ["", "an empty string"],
    ["12345678901234", "14 digits of rubles"],
    ["12345678901234.00", "14 digits of rubles with kopecks"],
    ["Infinity", "Infinity"],
    ["NaN", "NaN"],
  ])("when the amount is %j (%s), then it is refused with a reason", (text) => {
    const parsed = parseRubles(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/amount/);
  });

  it.each([[10], [10.45], [1045n], [null], [undefined], [["10.45"]], [{ toString: () => "10.45" }]])(
    "when the amount is not a string (%s), then it is refused",
    (value) => {
      expect(parseRubles(value).ok).toBe(false);
    },
  );

  it("when zero is given, then it is refused unless zero is allowed", () => {
    expect(parseRubles("0").ok).toBe(false);
    expect(parseRubles("0.00").ok).toBe(false);
    expect(parseRubles("0.00", { allowZero: true })).toEqual({ ok: true, kopecks: 0n });
  });

  it("when , is allowed as a separator (SMS texts), then 10,45 is read but 10,456 still is not", () => {
    const commaToo = { separators: [".", ","] };
    expect(kopecksOf("10,45", commaToo)).toBe(1045n);
    expect(kopecksOf("10.45", commaToo)).toBe(1045n);
    expect(kopecksOf("10,456", commaToo)).toMatch(/^refused/);
    expect(kopecksOf("1,000.50", commaToo)).toMatch(/^refused/);
    expect(kopecksOf("10,", commaToo)).toMatch(/^refused/);
  });

  it("when an amount is refused, then the reason quotes at most a short preview of it", () => {
    const parsed = parseRubles(`1${"x".repeat(10_000)}`);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason.length).toBeLessThan(120);
  });
});

describe("parseKopecks", () => {
  it("when the amount is a positive whole number of kopecks, then it is read as is", () => {
    expect(parseKopecks("1045")).toEqual({ ok: true, kopecks: 1045n });
    expect(parseKopecks("1")).toEqual({ ok: true, kopecks: 1n });
    expect(parseKopecks(1045)).toEqual({ ok: true, kopecks: 1045n });
  });

  it.each([["0"], ["-1"], ["010"], ["10.45"], ["1e3"], [" 1"], [""], ["1234567890123456789"], [0], [-5], [10.5], [Number.MAX_SAFE_INTEGER + 2], [NaN], [null], [undefined], [1045n]])(
    "when the amount is %s, then it is refused",
    (value) => {
      expect(parseKopecks(value).ok).toBe(false);
    },
  );
});

describe("formatRubles", () => {
  it.each([
    [19819n, "198.19"],
    [1045n, "10.45"],
    [1n, "0.01"],
    [10n, "0.10"],
    [0n, "0.00"],
    [50000n, "500.00"],
    [-500n, "-5.00"],
    [-1n, "-0.01"],
    [999999999999999n, "9999999999999.99"],
  ])("when %s kopecks are formatted, then they read %s", (kopecks, text) => {
    expect(formatRubles(kopecks)).toBe(text);
  });

  it.each([["10.45"], ["500.00"], ["0.01"], ["9999999999999.99"], ["1234.50"]])(
    "when %j is parsed and formatted again, then the same text comes back",
    (text) => {
      const parsed = parseRubles(text);
      expect(parsed.ok && formatRubles(parsed.kopecks)).toBe(text);
    },
  );

  it("when an amount without two decimals is parsed and formatted, then it gets them", () => {
    const parsed = parseRubles("500.5");
    expect(parsed.ok && formatRubles(parsed.kopecks)).toBe("500.50");
  });
});

describe("percentOf", () => {
  it.each([
    [1045n, 250n, 26n], // 2.5 % of 10.45 = 26.125 kopecks
    [1000n, 250n, 25n],
    [100n, 50n, 1n], // 0.5 % of 1.00 = 0.5 kopecks: half rounds up
    [99n, 50n, 0n], // 0.495 kopecks rounds down
    [50000n, 0n, 0n],
    [50000n, 10000n, 50000n], // 100 %
    [1n, 1n, 0n],
  ])("when %s kopecks at %s basis points, then the commission is %s kopecks", (kopecks, basisPoints, expected) => {
    expect(percentOf(kopecks, basisPoints)).toBe(expected);
  });
});
