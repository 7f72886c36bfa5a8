/**
 * The company's calendar: every office is in Primorye, and shifts, receipts, reports, until-dates and the console's
 * searches by day go by Vladivostok time (UTC+10 all year since 2014; the zone's name keeps any future change right).
 * The one place that turns a moment into the company's day and back.
 */

export const OFFICE_TIME_ZONE = "Asia/Vladivostok";

/** The calendar day (YYYY-MM-DD) of a moment in the offices' time zone. */
export const officeDay = (date: Date): string => date.toLocaleDateString("en-CA", { timeZone: OFFICE_TIME_ZONE });

/** Today in Vladivostok, YYYY-MM-DD. */
export const officeToday = (now = new Date()): string => officeDay(now);

/** A real calendar day written YYYY-MM-DD as the instants it spans in the offices' time zone; undefined otherwise. */
export function officeDayBounds(day: string): { gte: Date; lt: Date } | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const noon = new Date(`${day}T12:00:00Z`);
  if (Number.isNaN(noon.getTime()) || noon.toISOString().slice(0, 10) !== day) return undefined;
  // The zone's offset on that day (whole hours in Vladivostok), read from the platform's time-zone data.
  const zoned = new Date(noon.toLocaleString("en-US", { timeZone: OFFICE_TIME_ZONE }));
  const utc = new Date(noon.toLocaleString("en-US", { timeZone: "UTC" }));
  const offsetMs = zoned.getTime() - utc.getTime();
  const start = new Date(Date.parse(`${day}T00:00:00Z`) - offsetMs);
  return { gte: start, lt: new Date(start.getTime() + 86_400_000) };
}
