import { describe, expect, it } from "vitest";
import { officeDay, officeDayBounds, officeToday } from "../../src/calendar/office-day.ts";

// The company's calendar day (Vladivostok): the one function behind shifts past midnight, report periods, until-dates
// and the console's search by day.

describe("the offices' calendar day", () => {
  it("when it is 23:30 UTC, then in Vladivostok it is already the next day", () => {
    expect(officeDay(new Date("2026-11-24T23:30:00Z"))).toBe("2026-11-25");
    expect(officeDay(new Date("2026-11-24T13:59:59Z"))).toBe("2026-11-24");
    expect(officeToday(new Date("2026-12-31T14:00:00Z"))).toBe("2027-01-01");
  });

  it("when a day is given, then its bounds are its Vladivostok midnights, and each instant inside is that day", () => {
    const bounds = officeDayBounds("2026-11-24")!;
    expect([bounds.gte.toISOString(), bounds.lt.toISOString()]).toEqual(["2026-11-23T14:00:00.000Z", "2026-11-24T14:00:00.000Z"]);
    expect([officeDay(bounds.gte), officeDay(new Date(bounds.lt.getTime() - 1)), officeDay(bounds.lt)]).toEqual(["2026-11-24", "2026-11-24", "2026-11-25"]);
  });

  it("when the text is no real date, then there are no bounds", () => {
    for (const text of ["2026-02-30", "2026-13-01", "24.11.2026", "", "2026-11-24T00:00"]) expect(officeDayBounds(text)).toBeUndefined();
  });
});
