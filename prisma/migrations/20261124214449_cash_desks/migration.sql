-- CreateEnum
CREATE TYPE "StaffRole" AS ENUM ('cashier', 'supervisor', 'admin');

-- CreateTable
CREATE TABLE "office" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "hours" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "office_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cash_desk" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "office_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "ledger_account_id" INTEGER NOT NULL,
    "last_receipt_number" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "cash_desk_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff_user" (
    "id" SERIAL NOT NULL,
    "login" TEXT NOT NULL,
    "full_name" TEXT NOT NULL,
    "role" "StaffRole" NOT NULL,
    "office_id" INTEGER,
    "password_hash" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "failed_sign_ins" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_signed_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "staff_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff_session" (
    "id" SERIAL NOT NULL,
    "token_hash" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "staff_id" INTEGER NOT NULL,
    "csrf_token" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "user_agent" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "staff_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_entry" (
    "id" BIGSERIAL NOT NULL,
    "staff_id" INTEGER,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "reason" TEXT,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "ip" TEXT NOT NULL,
    "request_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cash_shift" (
    "id" SERIAL NOT NULL,
    "desk_id" INTEGER NOT NULL,
    "cashier_id" INTEGER NOT NULL,
    "open_desk_id" INTEGER,
    "open_cashier_id" INTEGER,
    "opening_cash_kopecks" BIGINT NOT NULL,
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(3),
    "closed_by_id" INTEGER,
    "expected_cash_kopecks" BIGINT,
    "counted_cash_kopecks" BIGINT,
    "difference_kopecks" BIGINT,
    "close_note" TEXT,

    CONSTRAINT "cash_shift_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cash_receipt" (
    "id" SERIAL NOT NULL,
    "desk_id" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "shift_id" INTEGER NOT NULL,
    "cashier_id" INTEGER NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cash_receipt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cash_storno" (
    "id" SERIAL NOT NULL,
    "payment_id" BIGINT NOT NULL,
    "shift_id" INTEGER NOT NULL,
    "staff_id" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "after_close" BOOLEAN NOT NULL,
    "reversal_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cash_storno_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "office_code_key" ON "office"("code");

-- CreateIndex
CREATE UNIQUE INDEX "cash_desk_code_key" ON "cash_desk"("code");

-- CreateIndex
CREATE UNIQUE INDEX "cash_desk_ledger_account_id_key" ON "cash_desk"("ledger_account_id");

-- CreateIndex
CREATE UNIQUE INDEX "staff_user_login_key" ON "staff_user"("login");

-- CreateIndex
CREATE UNIQUE INDEX "staff_session_token_hash_key" ON "staff_session"("token_hash");

-- CreateIndex
CREATE INDEX "staff_session_staff_id_idx" ON "staff_session"("staff_id");

-- CreateIndex
CREATE INDEX "audit_entry_created_at_idx" ON "audit_entry"("created_at");

-- CreateIndex
CREATE INDEX "audit_entry_staff_id_created_at_idx" ON "audit_entry"("staff_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "cash_shift_open_desk_id_key" ON "cash_shift"("open_desk_id");

-- CreateIndex
CREATE UNIQUE INDEX "cash_shift_open_cashier_id_key" ON "cash_shift"("open_cashier_id");

-- CreateIndex
CREATE INDEX "cash_shift_desk_id_opened_at_idx" ON "cash_shift"("desk_id", "opened_at");

-- CreateIndex
CREATE INDEX "cash_receipt_shift_id_idx" ON "cash_receipt"("shift_id");

-- CreateIndex
CREATE UNIQUE INDEX "cash_receipt_desk_id_number_key" ON "cash_receipt"("desk_id", "number");

-- CreateIndex
CREATE UNIQUE INDEX "cash_storno_payment_id_key" ON "cash_storno"("payment_id");

-- CreateIndex
CREATE UNIQUE INDEX "cash_storno_reversal_id_key" ON "cash_storno"("reversal_id");

-- CreateIndex
CREATE INDEX "cash_storno_shift_id_idx" ON "cash_storno"("shift_id");

-- AddForeignKey
ALTER TABLE "cash_desk" ADD CONSTRAINT "cash_desk_office_id_fkey" FOREIGN KEY ("office_id") REFERENCES "office"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_user" ADD CONSTRAINT "staff_user_office_id_fkey" FOREIGN KEY ("office_id") REFERENCES "office"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_session" ADD CONSTRAINT "staff_session_staff_id_fkey" FOREIGN KEY ("staff_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_entry" ADD CONSTRAINT "audit_entry_staff_id_fkey" FOREIGN KEY ("staff_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_shift" ADD CONSTRAINT "cash_shift_desk_id_fkey" FOREIGN KEY ("desk_id") REFERENCES "cash_desk"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_shift" ADD CONSTRAINT "cash_shift_cashier_id_fkey" FOREIGN KEY ("cashier_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_shift" ADD CONSTRAINT "cash_shift_closed_by_id_fkey" FOREIGN KEY ("closed_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_receipt" ADD CONSTRAINT "cash_receipt_desk_id_fkey" FOREIGN KEY ("desk_id") REFERENCES "cash_desk"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_receipt" ADD CONSTRAINT "cash_receipt_shift_id_fkey" FOREIGN KEY ("shift_id") REFERENCES "cash_shift"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_receipt" ADD CONSTRAINT "cash_receipt_cashier_id_fkey" FOREIGN KEY ("cashier_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_storno" ADD CONSTRAINT "cash_storno_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_storno" ADD CONSTRAINT "cash_storno_reversal_id_fkey" FOREIGN KEY ("reversal_id") REFERENCES "payment_reversal"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_storno" ADD CONSTRAINT "cash_storno_shift_id_fkey" FOREIGN KEY ("shift_id") REFERENCES "cash_shift"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cash_storno" ADD CONSTRAINT "cash_storno_staff_id_fkey" FOREIGN KEY ("staff_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Invariants Prisma's schema language cannot state (the differ ignores them; test/integration/cashier-*.test.ts
-- exercise them).
-- The audit log, cash storno and receipt numbers are history: never edited nor deleted.
CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON "audit_entry"
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_update_delete();
CREATE TRIGGER cash_storno_append_only
    BEFORE UPDATE OR DELETE ON "cash_storno"
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_update_delete();
CREATE TRIGGER cash_receipt_append_only
    BEFORE UPDATE OR DELETE ON "cash_receipt"
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_update_delete();

ALTER TABLE "cash_shift" ADD CONSTRAINT cash_shift_opening_cash_non_negative CHECK (opening_cash_kopecks >= 0);
ALTER TABLE "cash_shift" ADD CONSTRAINT cash_shift_counted_cash_non_negative CHECK (counted_cash_kopecks IS NULL OR counted_cash_kopecks >= 0);
-- Open: both "open" columns name the shift's desk and cashier; closed: both are cleared and the close figures set.
ALTER TABLE "cash_shift" ADD CONSTRAINT cash_shift_open_or_closed CHECK (
    (closed_at IS NULL AND open_desk_id = desk_id AND open_cashier_id = cashier_id)
    OR (closed_at IS NOT NULL AND open_desk_id IS NULL AND open_cashier_id IS NULL
        AND expected_cash_kopecks IS NOT NULL AND counted_cash_kopecks IS NOT NULL AND difference_kopecks IS NOT NULL));
ALTER TABLE "cash_receipt" ADD CONSTRAINT cash_receipt_number_positive CHECK (number > 0);
