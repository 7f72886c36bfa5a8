import { formatRubles } from "../../lib/money.ts";
import type { ReconciliationReport } from "./reconciliation.ts";

/** "1500.50" as Russian spreadsheets read it: "1500,50" (no grouping, minus sign for negatives). */
export const csvRubles = (kopecks: bigint) => formatRubles(kopecks).replace(".", ",");

export const CSV_HEADER = [
  "Канал",
  "Получено, шт",
  "Получено, руб",
  "Комиссия, руб",
  "Оплачено плательщиками, руб",
  "Зачислено, шт",
  "Зачислено, руб",
  "Возвраты и сторно, шт",
  "Возвраты и сторно, руб",
  "Итого (зачислено − возвраты), руб",
  "Незавершённые на конец периода, шт",
  "Незавершённые на конец периода, руб",
];

const cell = (value: string) => (/[;"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/**
 * The per-channel figures as a CSV file that Excel opens as it is: UTF-8 with a BOM (so Cyrillic is read right),
 * semicolons between fields and rubles with a decimal comma (a Russian locale's list and decimal separators), CRLF
 * line ends; a header line, then one line per channel.
 */
export function reconciliationCsv(report: ReconciliationReport): string {
  const lines = report.channels.map((line) =>
    [
      line.channel,
      String(line.received.count),
      csvRubles(line.received.sumKopecks),
      csvRubles(line.received.commissionKopecks),
      csvRubles(line.received.payerKopecks),
      String(line.credited.count),
      csvRubles(line.credited.sumKopecks),
      String(line.reversed.count),
      csvRubles(line.reversed.sumKopecks),
      csvRubles(line.netKopecks),
      String(line.open.count),
      csvRubles(line.open.sumKopecks),
    ],
  );
  return `\uFEFF${[CSV_HEADER, ...lines].map((fields) => fields.map(cell).join(";")).join("\r\n")}\r\n`;
}

/** The download's file name: reconciliation_2026-11-01_2026-11-30.csv. */
export const csvFileName = (report: ReconciliationReport) => `reconciliation_${report.period.from}_${report.period.to}.csv`;
