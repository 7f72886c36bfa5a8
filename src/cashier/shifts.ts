import type { Db } from "../db.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { hasRole, mayActInOffice, requireStaff, StaffActionError, type ActionContext, type Actor } from "../staff/actor.ts";
import { audit } from "../staff/audit.ts";
import { officeDay } from "../calendar/office-day.ts";

/** A cash desk action needs a person: the automation token has no desk, no shift and no signature on a receipt. */
export const requireCashier = (actor: Actor): number => requireStaff(actor, "cash desk actions are made");

/** Opens a shift at a desk of the actor's office with the cash in the drawer. One open shift per desk and per cashier. */
export async function openShift(db: Db, context: ActionContext, input: { deskCode: string; openingCashKopecks: bigint }): Promise<{ shiftId: number }> {
  const staffId = requireCashier(context.actor);
  const desk = await db.cashDesk.findUnique({ where: { code: input.deskCode } });
  if (!desk) throw new StaffActionError("desk_not_found", `no desk ${input.deskCode}`);
  if (!mayActInOffice(context.actor, desk.officeId)) throw new StaffActionError("other_office", `desk ${desk.code} belongs to another office`);
  if (input.openingCashKopecks < 0n) throw new StaffActionError("bad_amount", "opening cash cannot be negative");
  try {
    return await db.$transaction(async (tx) => {
      const shift = await tx.cashShift.create({
        data: { deskId: desk.id, cashierId: staffId, openDeskId: desk.id, openCashierId: staffId, openingCashKopecks: input.openingCashKopecks },
      });
      await audit(tx, context, { action: "shift.open", target: `shift:${shift.id}`, detail: { desk: desk.code, openingCashKopecks: input.openingCashKopecks.toString() } });
      return { shiftId: shift.id };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      const open = await db.cashShift.findFirst({ where: { OR: [{ openDeskId: desk.id }, { openCashierId: staffId }] }, include: { desk: true, cashier: true } });
      const message =
        open && open.cashierId === staffId
          ? `you already have an open shift (no. ${open.id}) at ${open.desk.code}: close it first`
          : `desk ${desk.code} already has an open shift (no. ${open?.id}) by ${open?.cashier.fullName}`;
      throw new StaffActionError("shift_already_open", message);
    }
    throw error;
  }
}

/** The actor's open shift, if any. */
export async function currentShift(db: Db, actor: Actor) {
  if (actor.staffId === null) return null;
  return db.cashShift.findUnique({ where: { openCashierId: actor.staffId }, include: { desk: { include: { office: true } } } });
}

export interface ShiftPaymentLine {
  paymentId: bigint;
  receiptNumber: number;
  accountNumber: string;
  amountKopecks: bigint;
  status: string;
  receivedAt: Date;
  /** `amountKopecks` is what the storno took back: the payment's sum less what an approved transfer had moved away. */
  storno: { reason: string; afterClose: boolean; at: Date; by: string; amountKopecks: bigint } | null;
}

export interface ZReport {
  shiftId: number;
  desk: { code: string; name: string };
  office: { code: string; city: string; address: string };
  cashier: { login: string; fullName: string };
  openedAt: Date;
  closedAt: Date | null;
  closedBy: string | null;
  open: boolean;
  /** Open over a midnight in Vladivostok: a shift is one working day. */
  pastMidnight: boolean;
  openingCashKopecks: bigint;
  payments: { count: number; sumKopecks: bigint };
  /** Storno made while the shift was open: it left this drawer. */
  storno: { count: number; sumKopecks: bigint };
  /** Storno a supervisor made after the close: listed apart; the close figures stay as counted. */
  stornoAfterClose: { count: number; sumKopecks: bigint };
  /** Opening cash + payments − storno: now while open, as recorded at the close once closed. */
  expectedCashKopecks: bigint;
  countedCashKopecks: bigint | null;
  differenceKopecks: bigint | null;
  closeNote: string | null;
  lines: ShiftPaymentLine[];
}

interface LineRow {
  payment_id: string;
  receipt_number: number;
  account_number: string;
  amount_kopecks: string;
  status: string;
  received_at: Date;
  storno_reason: string | null;
  storno_after_close: boolean | null;
  storno_at: Date | null;
  storno_by: string | null;
  storno_kopecks: string | null;
}

/** The payments of a shift, by receipt number, with their storno. Receipt numbers never used are not payments. */
async function shiftLines(db: Db | Prisma.TransactionClient, shiftId: number): Promise<ShiftPaymentLine[]> {
  const rows = await db.$queryRaw<LineRow[]>`
    SELECT p.id::text AS payment_id, r.number AS receipt_number, p.account_number, p.amount_kopecks::text AS amount_kopecks,
      p.status::text AS status, p.received_at, st.reason AS storno_reason, st.after_close AS storno_after_close,
      st.created_at AS storno_at, su.full_name AS storno_by, rv.amount_kopecks::text AS storno_kopecks
    FROM cash_receipt r
    JOIN cash_desk d ON d.id = r.desk_id
    JOIN inbound_payment p ON p.channel = 'cashier' AND p.external_id = d.code || ':' || r.number
    LEFT JOIN cash_storno st ON st.payment_id = p.id
    LEFT JOIN payment_reversal rv ON rv.id = st.reversal_id
    LEFT JOIN staff_user su ON su.id = st.staff_id
    WHERE r.shift_id = ${shiftId}
    ORDER BY r.number`;
  return rows.map((row) => ({
    paymentId: BigInt(row.payment_id),
    receiptNumber: row.receipt_number,
    accountNumber: row.account_number,
    amountKopecks: BigInt(row.amount_kopecks),
    status: row.status,
    receivedAt: row.received_at,
    storno:
      row.storno_reason === null
        ? null
        : { reason: row.storno_reason, afterClose: Boolean(row.storno_after_close), at: row.storno_at!, by: row.storno_by ?? "", amountKopecks: BigInt(row.storno_kopecks ?? "0") },
  }));
}

function totals(lines: ShiftPaymentLine[]) {
  const sum = (list: ShiftPaymentLine[], kopecks: (line: ShiftPaymentLine) => bigint) => list.reduce((total, line) => total + kopecks(line), 0n);
  // A storno takes back what its reversal posted, which is less than the payment when a transfer moved part of it away:
  // the drawer and the ledger then agree.
  const stornoKopecks = (line: ShiftPaymentLine) => line.storno?.amountKopecks ?? 0n;
  const inShift = lines.filter((line) => line.storno && !line.storno.afterClose);
  const afterClose = lines.filter((line) => line.storno?.afterClose);
  return {
    payments: { count: lines.length, sumKopecks: sum(lines, (line) => line.amountKopecks) },
    storno: { count: inShift.length, sumKopecks: sum(inShift, stornoKopecks) },
    stornoAfterClose: { count: afterClose.length, sumKopecks: sum(afterClose, stornoKopecks) },
  };
}


export async function zReport(db: Db, shiftId: number): Promise<ZReport | undefined> {
  const shift = await db.cashShift.findUnique({ where: { id: shiftId }, include: { desk: { include: { office: true } }, cashier: true, closedBy: true } });
  if (!shift) return undefined;
  const lines = await shiftLines(db, shiftId);
  const figures = totals(lines);
  const open = shift.closedAt === null;
  return {
    shiftId: shift.id,
    desk: { code: shift.desk.code, name: shift.desk.name },
    office: { code: shift.desk.office.code, city: shift.desk.office.city, address: shift.desk.office.address },
    cashier: { login: shift.cashier.login, fullName: shift.cashier.fullName },
    openedAt: shift.openedAt,
    closedAt: shift.closedAt,
    closedBy: shift.closedBy?.fullName ?? null,
    open,
    pastMidnight: officeDay(shift.openedAt) !== officeDay(shift.closedAt ?? new Date()),
    openingCashKopecks: shift.openingCashKopecks,
    ...figures,
    expectedCashKopecks: shift.expectedCashKopecks ?? shift.openingCashKopecks + figures.payments.sumKopecks - figures.storno.sumKopecks,
    countedCashKopecks: shift.countedCashKopecks,
    differenceKopecks: shift.differenceKopecks,
    closeNote: shift.closeNote,
    lines,
  };
}

/** Locks a shift row for the rest of the transaction and says who may act on it. */
export async function lockShift(tx: Prisma.TransactionClient, shiftId: number) {
  const [row] = await tx.$queryRaw<{ id: number; cashier_id: number; office_id: number; closed_at: Date | null; opening_cash_kopecks: bigint }[]>`
    SELECT s.id, s.cashier_id, d.office_id, s.closed_at, s.opening_cash_kopecks
    FROM cash_shift s JOIN cash_desk d ON d.id = s.desk_id WHERE s.id = ${shiftId} FOR UPDATE OF s`;
  return row;
}

/**
 * Closes a shift with the cash counted in the drawer. The shift row is locked first, so a payment or a storno still
 * being written finishes before (and is counted) or is refused after; the expected cash and the difference are
 * recorded with the close and never change. The shift's own cashier closes it, or a supervisor of the office.
 */
export async function closeShift(db: Db, context: ActionContext, input: { shiftId: number; countedCashKopecks: bigint; note?: string }): Promise<ZReport> {
  const staffId = requireCashier(context.actor);
  if (input.countedCashKopecks < 0n) throw new StaffActionError("bad_amount", "counted cash cannot be negative");
  await db.$transaction(async (tx) => {
    const shift = await lockShift(tx, input.shiftId);
    if (!shift) throw new StaffActionError("shift_not_found", `no shift ${input.shiftId}`);
    const mayClose = shift.cashier_id === staffId || (hasRole(context.actor, "supervisor") && mayActInOffice(context.actor, shift.office_id));
    if (!mayClose) throw new StaffActionError("not_your_shift", "only the shift's cashier or a supervisor of its office may close it");
    if (shift.closed_at !== null) throw new StaffActionError("shift_closed", `shift ${input.shiftId} is already closed`);
    const figures = totals(await shiftLines(tx, input.shiftId));
    const expected = shift.opening_cash_kopecks + figures.payments.sumKopecks - figures.storno.sumKopecks;
    const difference = input.countedCashKopecks - expected;
    await tx.cashShift.update({
      where: { id: input.shiftId },
      data: {
        closedAt: new Date(),
        closedById: staffId,
        openDeskId: null,
        openCashierId: null,
        expectedCashKopecks: expected,
        countedCashKopecks: input.countedCashKopecks,
        differenceKopecks: difference,
        closeNote: input.note?.trim() || null,
      },
    });
    await audit(tx, context, {
      action: "shift.close",
      target: `shift:${input.shiftId}`,
      reason: input.note?.trim() || undefined,
      detail: { expectedKopecks: expected.toString(), countedKopecks: input.countedCashKopecks.toString(), differenceKopecks: difference.toString() },
    });
  });
  return (await zReport(db, input.shiftId))!;
}

export interface ShiftSummary {
  id: number;
  desk: string;
  office: string;
  cashier: string;
  openedAt: Date;
  closedAt: Date | null;
  pastMidnight: boolean;
  expectedCashKopecks: bigint | null;
  countedCashKopecks: bigint | null;
  differenceKopecks: bigint | null;
}

/** Shift history: the actor's own office (admins: any or all), newest first. */
export async function listShifts(db: Db, actor: Actor, filter: { officeCode?: string; open?: boolean; limit?: number }): Promise<ShiftSummary[]> {
  let officeId: number | undefined;
  if (filter.officeCode) {
    const office = await db.office.findUnique({ where: { code: filter.officeCode } });
    if (!office) throw new StaffActionError("office_not_found", `no office ${filter.officeCode}`);
    officeId = office.id;
  }
  if (actor.role !== "admin") {
    if (officeId !== undefined && officeId !== actor.officeId) throw new StaffActionError("other_office", "shifts of another office are not yours to see");
    officeId = actor.officeId ?? -1;
  }
  const shifts = await db.cashShift.findMany({
    where: { desk: officeId === undefined ? undefined : { officeId }, closedAt: filter.open === undefined ? undefined : filter.open ? null : { not: null } },
    include: { desk: { include: { office: true } }, cashier: true },
    orderBy: { id: "desc" },
    take: Math.min(filter.limit ?? 100, 500),
  });
  return shifts.map((shift) => ({
    id: shift.id,
    desk: shift.desk.code,
    office: shift.desk.office.code,
    cashier: shift.cashier.fullName,
    openedAt: shift.openedAt,
    closedAt: shift.closedAt,
    pastMidnight: officeDay(shift.openedAt) !== officeDay(shift.closedAt ?? new Date()),
    expectedCashKopecks: shift.expectedCashKopecks,
    countedCashKopecks: shift.countedCashKopecks,
    differenceKopecks: shift.differenceKopecks,
  }));
}

/** May the actor see this shift (its Z-report)? Their office's shifts; admins all. */
export async function assertMaySeeShift(db: Db, actor: Actor, shiftId: number): Promise<void> {
  const shift = await db.cashShift.findUnique({ where: { id: shiftId }, include: { desk: true } });
  if (!shift) throw new StaffActionError("shift_not_found", `no shift ${shiftId}`);
  if (!mayActInOffice(actor, shift.desk.officeId)) throw new StaffActionError("other_office", "this shift belongs to another office");
}
