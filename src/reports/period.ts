import { officeToday } from "../calendar/office-day.ts";
import type { Period } from "./reconciliation.ts";

/** The longest period a report covers: a year, leap day included. */
export const MAX_PERIOD_DAYS = 366;

const DAY_MS = 86_400_000;

/** A real calendar date written YYYY-MM-DD, as days since the epoch; undefined otherwise (2026-02-30 too). */
function dayNumber(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const time = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== text) return undefined;
  return time / DAY_MS;
}

/** What is wrong with a period, in words (English for the API, Russian for the pages); undefined when it is fine. */
export function periodProblem(period: Period, language: "en" | "ru" = "en"): string | undefined {
  const [from, to] = [dayNumber(period.from), dayNumber(period.to)];
  const ru = language === "ru";
  if (from === undefined) return ru ? "Дата «с» указана неверно." : "from: must be a date YYYY-MM-DD";
  if (to === undefined) return ru ? "Дата «по» указана неверно." : "to: must be a date YYYY-MM-DD";
  if (to < from) return ru ? "Дата «по» раньше даты «с»." : "to: must not be before from";
  if (to - from + 1 > MAX_PERIOD_DAYS) return ru ? `Период длиннее ${MAX_PERIOD_DAYS} дней.` : `the period must be at most ${MAX_PERIOD_DAYS} days`;
  return undefined;
}

/** The previous calendar month (Vladivostok): the month-end report's usual period. */
export function previousMonth(now = new Date()): Period {
  const [year, month] = officeToday(now).split("-").map(Number) as [number, number];
  const first = new Date(Date.UTC(year, month - 2, 1));
  const last = new Date(Date.UTC(year, month - 1, 0));
  return { from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) };
}
