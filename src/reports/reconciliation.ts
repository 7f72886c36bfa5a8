import { OFFICE_TIME_ZONE } from "../calendar/office-day.ts";
import type { Db } from "../db.ts";
import { checkLedger, counterAccountCodeSql, type LedgerHealth } from "../ledger/ledger-accounts.ts";

/**
 * The month-end reconciliation: what payhub received, credited and gave back per channel over a period of company
 * days (Vladivostok), the cash desks' Z-reports, suspense and transfers, and the ledger's own checks, so that an
 * accountant can square payhub with each provider's registry and the bank statement. Every figure is one SQL
 * aggregate (GROUP BY); money is kopecks.
 */

export interface Period {
  /** First day, YYYY-MM-DD (Vladivostok). */
  from: string;
  /** Last day, inclusive. */
  to: string;
}

export interface Figure {
  count: number;
  sumKopecks: bigint;
}

export interface ChannelLine {
  channel: string;
  /** Recorded in the period (received_at), except pending payments that closed without becoming money. */
  received: Figure & { commissionKopecks: bigint; payerKopecks: bigint };
  /** Credited in the period (credited_at). */
  credited: Figure;
  /** Provider refunds, reverses, cancels and cash storno made in the period (payment_reversal.created_at). */
  reversed: Figure;
  /** credited − reversed. */
  netKopecks: bigint;
  /** Received before the period's end and neither credited nor closed before it. */
  open: Figure;
}

export interface OpenItem extends Figure {
  channel: string;
  /** The payment's state at the period's end: pending, accepted (waiting for the credit worker) or failed. */
  status: "pending" | "accepted" | "failed";
}

export interface DeskLine {
  desk: string;
  /** Shifts of the desk closed in the period. */
  shifts: number;
  payments: Figure;
  /** Storno made while the shift was open (storno after the close is listed apart, like the Z-report). */
  storno: Figure;
  stornoAfterClose: Figure;
  expectedKopecks: bigint;
  countedKopecks: bigint;
  differenceKopecks: bigint;
}

export interface LedgerMovement {
  /** clearing:<channel> or cash:<desk>. */
  code: string;
  /** Sum of the account's entries whose posting was made in the period. */
  movementKopecks: bigint;
  /** −(credited − reversed) of the payments that post against it. */
  expectedKopecks: bigint;
  differenceKopecks: bigint;
}

export interface ReconciliationReport {
  period: Period;
  /** The period as instants: [start, end). */
  start: Date;
  end: Date;
  channels: ChannelLine[];
  totals: Omit<ChannelLine, "channel">;
  openItems: OpenItem[];
  desks: DeskLine[];
  suspense: { received: Figure; assigned: Figure; open: Figure };
  transfers: { approved: Figure; reversed: Figure };
  ledger: LedgerHealth;
  movements: LedgerMovement[];
  /** Every difference found, in words (Russian, as the console and the CSV show them); empty when all squares. */
  discrepancies: string[];
}

interface FigureRow {
  count: number;
  sum: bigint;
}

const figure = (row: FigureRow | undefined): Figure => ({ count: row?.count ?? 0, sumKopecks: row?.sum ?? 0n });
const ZERO: Figure = { count: 0, sumKopecks: 0n };

/** The period's instants, computed by PostgreSQL in the company's time zone. */
async function bounds(db: Db, period: Period): Promise<{ start: Date; end: Date }> {
  const [row] = await db.$queryRaw<{ start: Date; end: Date }[]>`
    SELECT (${period.from}::date::timestamp AT TIME ZONE ${OFFICE_TIME_ZONE}) AS start,
           ((${period.to}::date + 1)::timestamp AT TIME ZONE ${OFFICE_TIME_ZONE}) AS "end"`;
  return row!;
}

type ByChannel<T> = (T & { channel: string })[];

async function channelFigures(db: Db, start: Date, end: Date) {
  const [received, credited, reversed, open] = await Promise.all([
    db.$queryRaw<ByChannel<FigureRow & { commission: bigint; payer: bigint }>>`
      SELECT channel, count(*)::int AS count, COALESCE(SUM(amount_kopecks), 0)::bigint AS sum,
        COALESCE(SUM(commission_kopecks), 0)::bigint AS commission,
        COALESCE(SUM(COALESCE(payer_amount_kopecks, amount_kopecks + commission_kopecks)), 0)::bigint AS payer
      FROM inbound_payment WHERE received_at >= ${start} AND received_at < ${end} AND status <> 'closed'
      GROUP BY channel`,
    db.$queryRaw<ByChannel<FigureRow>>`
      SELECT channel, count(*)::int AS count, COALESCE(SUM(amount_kopecks), 0)::bigint AS sum
      FROM inbound_payment WHERE credited_at >= ${start} AND credited_at < ${end}
      GROUP BY channel`,
    db.$queryRaw<ByChannel<FigureRow>>`
      SELECT p.channel, count(*)::int AS count, COALESCE(SUM(r.amount_kopecks), 0)::bigint AS sum
      FROM payment_reversal r JOIN inbound_payment p ON p.id = r.payment_id
      WHERE r.created_at >= ${start} AND r.created_at < ${end}
      GROUP BY p.channel`,
    // The state at the period's end: still open then, whatever happened after. A payment credited or closed since
    // was accepted or pending then (a failed one that was retried has lost its failed_at).
    db.$queryRaw<ByChannel<FigureRow & { status: OpenItem["status"] }>>`
      SELECT channel,
        CASE WHEN status IN ('pending', 'accepted', 'failed') THEN status::text WHEN status = 'closed' THEN 'pending' ELSE 'accepted' END AS status,
        count(*)::int AS count, COALESCE(SUM(amount_kopecks), 0)::bigint AS sum
      FROM inbound_payment
      WHERE received_at < ${end} AND (credited_at IS NULL OR credited_at >= ${end}) AND (closed_at IS NULL OR closed_at >= ${end})
      GROUP BY 1, 2 ORDER BY 1, 2`,
  ]);
  return { received, credited, reversed, open };
}

function channelLines(figures: Awaited<ReturnType<typeof channelFigures>>): ChannelLine[] {
  const names = [...new Set([...figures.received, ...figures.credited, ...figures.reversed, ...figures.open].map((row) => row.channel))].sort();
  const find = <T extends { channel: string }>(rows: T[], channel: string) => rows.find((row) => row.channel === channel);
  return names.map((channel) => {
    const received = find(figures.received, channel);
    const credited = figure(find(figures.credited, channel));
    const reversed = figure(find(figures.reversed, channel));
    const open = figures.open.filter((row) => row.channel === channel);
    return {
      channel,
      received: { ...figure(received), commissionKopecks: received?.commission ?? 0n, payerKopecks: received?.payer ?? 0n },
      credited,
      reversed,
      netKopecks: credited.sumKopecks - reversed.sumKopecks,
      open: { count: open.reduce((total, row) => total + row.count, 0), sumKopecks: open.reduce((total, row) => total + row.sum, 0n) },
    };
  });
}

const addFigures = (a: Figure, b: Figure): Figure => ({ count: a.count + b.count, sumKopecks: a.sumKopecks + b.sumKopecks });

function channelTotals(lines: ChannelLine[]): Omit<ChannelLine, "channel"> {
  return lines.reduce<Omit<ChannelLine, "channel">>(
    (total, line) => ({
      received: {
        ...addFigures(total.received, line.received),
        commissionKopecks: total.received.commissionKopecks + line.received.commissionKopecks,
        payerKopecks: total.received.payerKopecks + line.received.payerKopecks,
      },
      credited: addFigures(total.credited, line.credited),
      reversed: addFigures(total.reversed, line.reversed),
      netKopecks: total.netKopecks + line.netKopecks,
      open: addFigures(total.open, line.open),
    }),
    { received: { ...ZERO, commissionKopecks: 0n, payerKopecks: 0n }, credited: ZERO, reversed: ZERO, netKopecks: 0n, open: ZERO },
  );
}

/** The Z-reports of the shifts closed in the period, summed per desk (the figures the Z-report shows, from SQL). */
async function deskLines(db: Db, start: Date, end: Date): Promise<DeskLine[]> {
  const rows = await db.$queryRaw<
    { desk: string; shifts: number; payments: number; payments_sum: bigint; storno: number; storno_sum: bigint; after: number; after_sum: bigint; expected: bigint; counted: bigint; difference: bigint }[]
  >`
    WITH closed AS (
      SELECT s.id, d.code AS desk, s.expected_cash_kopecks, s.counted_cash_kopecks, s.difference_kopecks
      FROM cash_shift s JOIN cash_desk d ON d.id = s.desk_id
      WHERE s.closed_at >= ${start} AND s.closed_at < ${end}
    ), paid AS (
      SELECT r.shift_id, count(*)::int AS count, SUM(p.amount_kopecks) AS sum
      FROM cash_receipt r JOIN cash_desk d ON d.id = r.desk_id
      JOIN inbound_payment p ON p.channel = 'cashier' AND p.external_id = d.code || ':' || r.number
      WHERE r.shift_id IN (SELECT id FROM closed) GROUP BY r.shift_id
    ), cancelled AS (
      SELECT st.shift_id,
        count(*) FILTER (WHERE NOT st.after_close)::int AS count, SUM(p.amount_kopecks) FILTER (WHERE NOT st.after_close) AS sum,
        count(*) FILTER (WHERE st.after_close)::int AS after, SUM(p.amount_kopecks) FILTER (WHERE st.after_close) AS after_sum
      FROM cash_storno st JOIN inbound_payment p ON p.id = st.payment_id
      WHERE st.shift_id IN (SELECT id FROM closed) GROUP BY st.shift_id
    )
    SELECT c.desk, count(*)::int AS shifts,
      COALESCE(SUM(paid.count), 0)::int AS payments, COALESCE(SUM(paid.sum), 0)::bigint AS payments_sum,
      COALESCE(SUM(x.count), 0)::int AS storno, COALESCE(SUM(x.sum), 0)::bigint AS storno_sum,
      COALESCE(SUM(x.after), 0)::int AS after, COALESCE(SUM(x.after_sum), 0)::bigint AS after_sum,
      COALESCE(SUM(c.expected_cash_kopecks), 0)::bigint AS expected, COALESCE(SUM(c.counted_cash_kopecks), 0)::bigint AS counted,
      COALESCE(SUM(c.difference_kopecks), 0)::bigint AS difference
    FROM closed c LEFT JOIN paid ON paid.shift_id = c.id LEFT JOIN cancelled x ON x.shift_id = c.id
    GROUP BY c.desk ORDER BY c.desk`;
  return rows.map((row) => ({
    desk: row.desk,
    shifts: row.shifts,
    payments: { count: row.payments, sumKopecks: row.payments_sum },
    storno: { count: row.storno, sumKopecks: row.storno_sum },
    stornoAfterClose: { count: row.after, sumKopecks: row.after_sum },
    expectedKopecks: row.expected,
    countedKopecks: row.counted,
    differenceKopecks: row.difference,
  }));
}

async function suspenseFigures(db: Db, start: Date, end: Date): Promise<ReconciliationReport["suspense"]> {
  const [row] = await db.$queryRaw<{ received: number; received_sum: bigint; assigned: number; assigned_sum: bigint; open: number; open_sum: bigint }[]>`
    SELECT
      count(*) FILTER (WHERE s.created_at >= ${start} AND s.created_at < ${end})::int AS received,
      COALESCE(SUM(p.amount_kopecks) FILTER (WHERE s.created_at >= ${start} AND s.created_at < ${end}), 0)::bigint AS received_sum,
      count(*) FILTER (WHERE s.assigned_at >= ${start} AND s.assigned_at < ${end})::int AS assigned,
      COALESCE(SUM(p.amount_kopecks) FILTER (WHERE s.assigned_at >= ${start} AND s.assigned_at < ${end}), 0)::bigint AS assigned_sum,
      count(*) FILTER (WHERE s.created_at < ${end} AND (s.assigned_at IS NULL OR s.assigned_at >= ${end}))::int AS open,
      COALESCE(SUM(p.amount_kopecks) FILTER (WHERE s.created_at < ${end} AND (s.assigned_at IS NULL OR s.assigned_at >= ${end})), 0)::bigint AS open_sum
    FROM suspense_item s JOIN inbound_payment p ON p.id = s.payment_id`;
  return {
    received: figure({ count: row!.received, sum: row!.received_sum }),
    assigned: figure({ count: row!.assigned, sum: row!.assigned_sum }),
    open: figure({ count: row!.open, sum: row!.open_sum }),
  };
}

async function transferFigures(db: Db, start: Date, end: Date): Promise<ReconciliationReport["transfers"]> {
  const [row] = await db.$queryRaw<{ approved: number; approved_sum: bigint; reversed: number; reversed_sum: bigint }[]>`
    SELECT
      count(*) FILTER (WHERE status IN ('approved', 'reversed') AND decided_at >= ${start} AND decided_at < ${end})::int AS approved,
      COALESCE(SUM(amount_kopecks) FILTER (WHERE status IN ('approved', 'reversed') AND decided_at >= ${start} AND decided_at < ${end}), 0)::bigint AS approved_sum,
      count(*) FILTER (WHERE reversed_at >= ${start} AND reversed_at < ${end})::int AS reversed,
      COALESCE(SUM(amount_kopecks) FILTER (WHERE reversed_at >= ${start} AND reversed_at < ${end}), 0)::bigint AS reversed_sum
    FROM transfer_request`;
  return { approved: figure({ count: row!.approved, sum: row!.approved_sum }), reversed: figure({ count: row!.reversed, sum: row!.reversed_sum }) };
}

/**
 * Per clearing and cash ledger account: the movement of its entries posted in the period, against −(credited −
 * reversed) of the payments that post to it (a channel's clearing account, or the desk's cash account for cash).
 */
async function ledgerMovements(db: Db, start: Date, end: Date): Promise<LedgerMovement[]> {
  const rows = await db.$queryRawUnsafe<{ code: string; movement: bigint; expected: bigint }[]>(
    `WITH movement AS (
      SELECT l.code, SUM(e.amount_kopecks) AS sum
      FROM ledger_entry e JOIN posting po ON po.id = e.posting_id JOIN ledger_account l ON l.id = e.ledger_account_id
      WHERE l.kind IN ('clearing', 'cash') AND po.created_at >= $1 AND po.created_at < $2
      GROUP BY l.code
    ), credited AS (
      SELECT ${counterAccountCodeSql("p")} AS code, SUM(p.amount_kopecks) AS sum
      FROM inbound_payment p WHERE p.credited_at >= $1 AND p.credited_at < $2 GROUP BY 1
    ), reversed AS (
      SELECT ${counterAccountCodeSql("p")} AS code, SUM(r.amount_kopecks) AS sum
      FROM payment_reversal r JOIN inbound_payment p ON p.id = r.payment_id
      WHERE r.created_at >= $1 AND r.created_at < $2 GROUP BY 1
    ), codes AS (SELECT code FROM movement UNION SELECT code FROM credited UNION SELECT code FROM reversed)
    SELECT codes.code, COALESCE(m.sum, 0)::bigint AS movement, (COALESCE(r.sum, 0) - COALESCE(c.sum, 0))::bigint AS expected
    FROM codes LEFT JOIN movement m USING (code) LEFT JOIN credited c USING (code) LEFT JOIN reversed r USING (code)
    ORDER BY codes.code`,
    start,
    end,
  );
  return rows.map((row) => ({ code: row.code, movementKopecks: row.movement, expectedKopecks: row.expected, differenceKopecks: row.movement - row.expected }));
}

function discrepancies(ledger: LedgerHealth, movements: LedgerMovement[], format: (kopecks: bigint) => string): string[] {
  const lines: string[] = [];
  if (ledger.totalKopecks !== 0n) lines.push(`Сумма всех записей главной книги не ноль: ${format(ledger.totalKopecks)}`);
  if (ledger.unbalancedPostings > 0) lines.push(`Несбалансированных проводок: ${ledger.unbalancedPostings}`);
  for (const mismatch of ledger.balanceMismatches) {
    lines.push(`Счёт ${mismatch.number}: баланс ${format(mismatch.cachedKopecks)}, по записям ${format(mismatch.entriesKopecks)}`);
  }
  for (const movement of movements.filter((line) => line.differenceKopecks !== 0n)) {
    lines.push(`${movement.code}: движение за период ${format(movement.movementKopecks)}, ожидалось −(зачислено − возвраты) = ${format(movement.expectedKopecks)}, разница ${format(movement.differenceKopecks)}`);
  }
  return lines;
}

/** The reconciliation report of a period of company days. `format` writes money in the discrepancy lines. */
export async function reconciliationReport(db: Db, period: Period, format: (kopecks: bigint) => string = (k) => k.toString()): Promise<ReconciliationReport> {
  const { start, end } = await bounds(db, period);
  const [figures, desks, suspense, transfers, ledger, movements] = await Promise.all([
    channelFigures(db, start, end),
    deskLines(db, start, end),
    suspenseFigures(db, start, end),
    transferFigures(db, start, end),
    checkLedger(db),
    ledgerMovements(db, start, end),
  ]);
  const channels = channelLines(figures);
  return {
    period,
    start,
    end,
    channels,
    totals: channelTotals(channels),
    openItems: figures.open.map((row) => ({ channel: row.channel, status: row.status, count: row.count, sumKopecks: row.sum })),
    desks,
    suspense,
    transfers,
    ledger,
    movements,
    discrepancies: discrepancies(ledger, movements, format),
  };
}
