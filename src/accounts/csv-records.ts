/**
 * A small RFC 4180 CSV reader for the subscriber import: quoted fields ("" for a quote inside, line breaks allowed),
 * `;` or `,` as the delimiter (detected from the header line: Excel in a Russian locale writes `;`), CRLF, LF or CR
 * line ends, UTF-8 with or without a BOM. It reads a stream chunk by chunk, so a file of any size is never held
 * whole. A damaged record is returned with an `error`, never thrown: one bad row must not stop an import.
 */

/** One record and the line of the file it starts on (the header is line 1). */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** Why the record could not be read as written; its fields are then incomplete. */
  error?: string;
}

/** The file as a whole could not be read (missing, unreadable, not UTF-8). */
export class CsvReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CsvReadError";
  }
}

type State = "fieldStart" | "unquoted" | "quoted" | "quoteInQuoted" | "afterQuotedJunk";

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Picks the delimiter of a header line: the one of `;` and `,` it uses more. */
export function detectDelimiter(headerLine: string): ";" | "," {
  const semicolons = headerLine.split(";").length - 1;
  const commas = headerLine.split(",").length - 1;
  return semicolons > commas ? ";" : ",";
}

/** Parses CSV text fed in chunks; `push` and `end` return the records completed so far. */
export class CsvParser {
  private delimiter: number | undefined;
  private pending = "";
  private started = false;
  private state: State = "fieldStart";
  private field = "";
  private fields: string[] = [];
  private error: string | undefined;
  /** The line the next character is on, and the line the current record started on. */
  private line = 1;
  private recordLine = 1;
  private previousWasCR = false;
  private records: CsvRecord[] = [];

  constructor(delimiter?: ";" | ",") {
    if (delimiter) this.delimiter = delimiter.charCodeAt(0);
  }

  get detectedDelimiter(): ";" | "," | undefined {
    return this.delimiter === undefined ? undefined : (String.fromCharCode(this.delimiter) as ";" | ",");
  }

  push(text: string): CsvRecord[] {
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.delimiter === undefined) {
      // The header line decides the delimiter: wait until it is complete.
      this.pending += text;
      const end = this.pending.search(/[\r\n]/);
      if (end === -1) return [];
      this.delimiter = detectDelimiter(this.pending.slice(0, end)).charCodeAt(0);
      text = this.pending;
      this.pending = "";
    }
    this.consume(text);
    return this.take();
  }

  end(): CsvRecord[] {
    if (this.delimiter === undefined) {
      this.delimiter = detectDelimiter(this.pending).charCodeAt(0);
      this.consume(this.pending);
      this.pending = "";
    }
    if (this.state === "quoted") this.error ??= "a quoted field is not closed before the end of the file";
    // The last line may lack its line end; "a,b," still ends with an empty field.
    if (this.state !== "fieldStart" || this.fields.length > 0) {
      this.endField();
      this.endRecord();
    }
    return this.take();
  }

  private take(): CsvRecord[] {
    const records = this.records;
    this.records = [];
    return records;
  }

  private consume(text: string): void {
    const delimiter = this.delimiter!;
    const length = text.length;
    let index = 0;
    while (index < length) {
      const code = text.charCodeAt(index);
      // The LF of a CRLF: the CR already ended the line (and the record, outside quotes).
      if (code === LF && this.previousWasCR) {
        this.previousWasCR = false;
        if (this.state === "quoted") this.field += "\n";
        index++;
        continue;
      }
      this.previousWasCR = code === CR;
      const lineBreak = code === LF || code === CR;

      switch (this.state) {
        case "fieldStart":
        case "unquoted": {
          if (this.state === "fieldStart" && code === QUOTE) {
            this.state = "quoted";
            index++;
            break;
          }
          if (code === delimiter) {
            this.endField();
            index++;
          } else if (lineBreak) {
            this.line++;
            this.endField();
            this.endRecord();
            index++;
          } else {
            // Plain text up to the next delimiter or line end; a quote inside an unquoted field is kept as text.
            let stop = index + 1;
            while (stop < length) {
              const next = text.charCodeAt(stop);
              if (next === delimiter || next === LF || next === CR) break;
              stop++;
            }
            this.field += text.slice(index, stop);
            this.state = "unquoted";
            index = stop;
          }
          break;
        }
        case "quoted": {
          if (code === QUOTE) {
            this.state = "quoteInQuoted";
            index++;
          } else if (lineBreak) {
            this.line++;
            this.field += text[index];
            index++;
          } else {
            let stop = index + 1;
            while (stop < length) {
              const next = text.charCodeAt(stop);
              if (next === QUOTE || next === LF || next === CR) break;
              stop++;
            }
            this.field += text.slice(index, stop);
            index = stop;
          }
          break;
        }
        case "quoteInQuoted": {
          if (code === QUOTE) {
            this.field += '"';
            this.state = "quoted";
          } else if (code === delimiter) {
            this.endField();
          } else if (lineBreak) {
            this.line++;
            this.endField();
            this.endRecord();
          } else {
            this.error ??= `field ${this.fields.length + 1} has text after its closing quote (write a quote inside quotes as "")`;
            this.state = "afterQuotedJunk";
          }
          index++;
          break;
        }
        case "afterQuotedJunk": {
          if (code === delimiter) {
            this.endField();
          } else if (lineBreak) {
            this.line++;
            this.endField();
            this.endRecord();
          }
          index++;
          break;
        }
      }
    }
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = "";
    this.state = "fieldStart";
  }

  private endRecord(): void {
    // Empty lines and lines of delimiters only (spreadsheets export trailing rows as ";;;;;;") are no records.
    const blank = this.error === undefined && this.fields.every((field) => field.trim() === "");
    if (!blank) {
      const record: CsvRecord = { line: this.recordLine, fields: this.fields };
      if (this.error !== undefined) record.error = this.error;
      this.records.push(record);
    }
    this.fields = [];
    this.error = undefined;
    this.state = "fieldStart";
    this.recordLine = this.line;
  }
}

/**
 * The records of a CSV text or byte stream (a file's read stream). Bytes must be UTF-8: anything else is a
 * {@link CsvReadError} naming the line, as is a failure of the stream itself.
 */
export async function* readCsvRecords(source: string | AsyncIterable<string | Uint8Array>): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser();
  if (typeof source === "string") {
    yield* parser.push(source);
    yield* parser.end();
    return;
  }
  // fatal: a file saved in Windows-1251 must be refused, not imported as mojibake. The decoder drops a UTF-8 BOM.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (bytes: Uint8Array | undefined) => {
    try {
      return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
    } catch (error) {
      throw new CsvReadError("the file is not UTF-8 text (save it as \"CSV UTF-8\")", { cause: error });
    }
  };
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let step: IteratorResult<string | Uint8Array>;
    try {
      step = await iterator.next();
    } catch (error) {
      throw new CsvReadError(`the file could not be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (step.done) break;
    const chunk = step.value;
    yield* parser.push(typeof chunk === "string" ? chunk : decode(chunk));
  }
  yield* parser.push(decode(undefined));
  yield* parser.end();
}
