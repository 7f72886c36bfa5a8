import { describe, expect, it } from "vitest";
import { CsvParser, CsvReadError, readCsvRecords, type CsvRecord } from "../../src/accounts/csv-records.ts";

// The CSV reader of the subscriber import: what billing exports and spreadsheets write, read as RFC 4180 says.

async function read(source: string | AsyncIterable<string | Uint8Array>): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const record of readCsvRecords(source)) records.push(record);
  return records;
}

async function* chunks(...parts: (string | Uint8Array)[]): AsyncIterable<string | Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? new TextEncoder().encode(part) : part;
}

const SAMPLE =
  "\uFEFFnumber;owner_name;address\r\n" +
  '100080;Иванов Иван;"г. Владивосток; ул. ""Луговая"", д. 21а"\r\n' +
  "\r\n" +
  '100081;"Петрова\r\nМария";\r\n' +
  '100082;Сидоров "Лёша";г. Артём\r\n' +
  ";;\r\n" +
  "100083;Кузнецова;";

const SAMPLE_RECORDS: CsvRecord[] = [
  { line: 1, fields: ["number", "owner_name", "address"] },
  { line: 2, fields: ["100080", "Иванов Иван", 'г. Владивосток; ул. "Луговая", д. 21а'] },
  { line: 4, fields: ["100081", "Петрова\r\nМария", ""] },
  { line: 6, fields: ["100082", 'Сидоров "Лёша"', "г. Артём"] },
  { line: 8, fields: ["100083", "Кузнецова", ""] },
];

describe("reading CSV records", () => {
  it("when a file uses ; with quotes, doubled quotes, a BOM, CRLF, blank rows and a line break inside quotes, then every field reads as written and each record knows its line", async () => {
    expect(await read(SAMPLE)).toEqual(SAMPLE_RECORDS);
  });

  it("when the same bytes arrive split at any position (even inside a UTF-8 letter or a CRLF), then the records are the same", async () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    for (let at = 1; at < bytes.length; at++) {
      expect(await read(chunks(bytes.slice(0, at), bytes.slice(at)))).toEqual(SAMPLE_RECORDS);
    }
  });

  it("when the header uses commas, then , is the delimiter and ; is text", async () => {
    expect(await read('number,address\n1,"a, b"\n2,c;d\n')).toEqual([
      { line: 1, fields: ["number", "address"] },
      { line: 2, fields: ["1", "a, b"] },
      { line: 3, fields: ["2", "c;d"] },
    ]);
  });

  it("when lines end with a bare CR (old Mac exports), then they are lines too", async () => {
    expect(await read("a,b\r1,2\r3,4")).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["1", "2"] },
      { line: 3, fields: ["3", "4"] },
    ]);
  });

  it("when a row ends with a delimiter, then its last field is empty", async () => {
    expect(await read("a,b,c\n1,2,\n3,,")).toEqual([
      { line: 1, fields: ["a", "b", "c"] },
      { line: 2, fields: ["1", "2", ""] },
      { line: 3, fields: ["3", "", ""] },
    ]);
  });

  it("when text follows a closing quote, then that record carries an error and the next record is read normally", async () => {
    const records = await read('a,b\n1,"x"y,z\n2,ok\n');
    expect(records[1]).toMatchObject({ line: 2, error: expect.stringMatching(/field 2 has text after its closing quote/) });
    expect(records[2]).toEqual({ line: 3, fields: ["2", "ok"] });
  });

  it("when a quoted field is never closed, then the last record carries an error naming it", async () => {
    const records = await read('a,b\n1,ok\n2,"open\n3,x\n');
    expect(records).toHaveLength(3);
    expect(records[2]).toMatchObject({ line: 3, error: "a quoted field is not closed before the end of the file" });
  });

  it("when the bytes are not UTF-8 (a Windows-1251 export), then the whole file is refused with a CsvReadError", async () => {
    const cp1251 = Uint8Array.from([0x6e, 0x2c, 0x6f, 0x0a, 0x31, 0x2c, 0xc8, 0xe2, 0xe0, 0xed, 0xee, 0xe2, 0x0a]);
    await expect(read(chunks(cp1251))).rejects.toThrow(CsvReadError);
    await expect(read(chunks(cp1251))).rejects.toThrow(/not UTF-8/);
  });

  it("when the stream itself fails, then a CsvReadError says the file could not be read", async () => {
    async function* failing(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode("a,b\n");
      throw Object.assign(new Error("EISDIR: illegal operation on a directory, read"), { code: "EISDIR" });
    }
    await expect(read(failing())).rejects.toThrow(/the file could not be read: EISDIR/);
  });

  it("when the file is empty or only blank lines, then there are no records", async () => {
    expect(await read("")).toEqual([]);
    expect(await read("\uFEFF\r\n\n  \n")).toEqual([]);
  });

  it("when the parser is given a delimiter, then it does not detect one", () => {
    const parser = new CsvParser(";");
    expect([...parser.push("a,b;c\n"), ...parser.end()]).toEqual([{ line: 1, fields: ["a,b", "c"] }]);
    expect(parser.detectedDelimiter).toBe(";");
  });
});
