-- CreateEnum
CREATE TYPE "TransferStatus" AS ENUM ('pending', 'approved', 'rejected', 'reversed');

-- CreateEnum
CREATE TYPE "SuspenseStatus" AS ENUM ('open', 'assigned');

-- CreateTable
CREATE TABLE "transfer_request" (
    "id" SERIAL NOT NULL,
    "payment_id" BIGINT NOT NULL,
    "from_account_id" INTEGER NOT NULL,
    "to_account_id" INTEGER NOT NULL,
    "amount_kopecks" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "TransferStatus" NOT NULL DEFAULT 'pending',
    "maker_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checker_id" INTEGER,
    "decided_at" TIMESTAMPTZ(3),
    "decision_note" TEXT,
    "allow_negative" BOOLEAN NOT NULL DEFAULT false,
    "posting_id" BIGINT,
    "reversed_by_id" INTEGER,
    "reversed_at" TIMESTAMPTZ(3),
    "reverse_reason" TEXT,
    "reversal_posting_id" BIGINT,

    CONSTRAINT "transfer_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transfer_evidence" (
    "id" SERIAL NOT NULL,
    "transfer_request_id" INTEGER NOT NULL,
    "file_name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "uploaded_by_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transfer_evidence_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "suspense_item" (
    "id" SERIAL NOT NULL,
    "payment_id" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "SuspenseStatus" NOT NULL DEFAULT 'open',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "account_id" INTEGER,
    "assigned_by_id" INTEGER,
    "assigned_at" TIMESTAMPTZ(3),
    "note" TEXT,
    "posting_id" BIGINT,

    CONSTRAINT "suspense_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing_notification" (
    "id" BIGSERIAL NOT NULL,
    "posting_id" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "failed_at" TIMESTAMPTZ(3),

    CONSTRAINT "billing_notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "transfer_request_posting_id_key" ON "transfer_request"("posting_id");

-- CreateIndex
CREATE UNIQUE INDEX "transfer_request_reversal_posting_id_key" ON "transfer_request"("reversal_posting_id");

-- CreateIndex
CREATE INDEX "transfer_request_payment_id_idx" ON "transfer_request"("payment_id");

-- CreateIndex
CREATE INDEX "transfer_request_status_created_at_idx" ON "transfer_request"("status", "created_at");

-- CreateIndex
CREATE INDEX "transfer_evidence_transfer_request_id_idx" ON "transfer_evidence"("transfer_request_id");

-- CreateIndex
CREATE UNIQUE INDEX "suspense_item_payment_id_key" ON "suspense_item"("payment_id");

-- CreateIndex
CREATE UNIQUE INDEX "suspense_item_posting_id_key" ON "suspense_item"("posting_id");

-- CreateIndex
CREATE INDEX "suspense_item_status_created_at_idx" ON "suspense_item"("status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "billing_notification_posting_id_key" ON "billing_notification"("posting_id");

-- CreateIndex
CREATE INDEX "billing_notification_sent_at_failed_at_id_idx" ON "billing_notification"("sent_at", "failed_at", "id");

-- AddForeignKey
ALTER TABLE "transfer_request" ADD CONSTRAINT "transfer_request_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_request" ADD CONSTRAINT "transfer_request_from_account_id_fkey" FOREIGN KEY ("from_account_id") REFERENCES "subscriber_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_request" ADD CONSTRAINT "transfer_request_to_account_id_fkey" FOREIGN KEY ("to_account_id") REFERENCES "subscriber_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_request" ADD CONSTRAINT "transfer_request_maker_id_fkey" FOREIGN KEY ("maker_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_request" ADD CONSTRAINT "transfer_request_checker_id_fkey" FOREIGN KEY ("checker_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_request" ADD CONSTRAINT "transfer_request_reversed_by_id_fkey" FOREIGN KEY ("reversed_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_request" ADD CONSTRAINT "transfer_request_posting_id_fkey" FOREIGN KEY ("posting_id") REFERENCES "posting"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_request" ADD CONSTRAINT "transfer_request_reversal_posting_id_fkey" FOREIGN KEY ("reversal_posting_id") REFERENCES "posting"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_evidence" ADD CONSTRAINT "transfer_evidence_transfer_request_id_fkey" FOREIGN KEY ("transfer_request_id") REFERENCES "transfer_request"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transfer_evidence" ADD CONSTRAINT "transfer_evidence_uploaded_by_id_fkey" FOREIGN KEY ("uploaded_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "suspense_item" ADD CONSTRAINT "suspense_item_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "suspense_item" ADD CONSTRAINT "suspense_item_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "subscriber_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "suspense_item" ADD CONSTRAINT "suspense_item_assigned_by_id_fkey" FOREIGN KEY ("assigned_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "suspense_item" ADD CONSTRAINT "suspense_item_posting_id_fkey" FOREIGN KEY ("posting_id") REFERENCES "posting"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing_notification" ADD CONSTRAINT "billing_notification_posting_id_fkey" FOREIGN KEY ("posting_id") REFERENCES "posting"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Every posting is news for the billing system: its notification row is written by the database in the posting's
-- own transaction, so no credit, reversal, storno, transfer or suspense assignment can commit without one, whatever
-- code posted it. The sender reads the posting's entries (append-only) when it sends.
CREATE FUNCTION billing_notify_posting() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO billing_notification (posting_id, kind) VALUES (NEW.id, NEW.kind);
    RETURN NULL;
END $$;
CREATE TRIGGER posting_billing_notification
    AFTER INSERT ON "posting"
    FOR EACH ROW EXECUTE FUNCTION billing_notify_posting();

-- Evidence is what the decision was made on: never replaced nor removed.
CREATE TRIGGER transfer_evidence_append_only
    BEFORE UPDATE OR DELETE ON "transfer_evidence"
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_update_delete();

ALTER TABLE "transfer_request" ADD CONSTRAINT transfer_request_amount_positive CHECK (amount_kopecks > 0);
ALTER TABLE "transfer_request" ADD CONSTRAINT transfer_request_two_accounts CHECK (from_account_id <> to_account_id);
-- The checker is never the maker (maker-checker), in the database too.
ALTER TABLE "transfer_request" ADD CONSTRAINT transfer_request_checker_not_maker CHECK (checker_id IS NULL OR checker_id <> maker_id);
ALTER TABLE "transfer_request" ADD CONSTRAINT transfer_request_approved_has_posting CHECK (
    (status IN ('approved', 'reversed')) = (posting_id IS NOT NULL));
ALTER TABLE "transfer_request" ADD CONSTRAINT transfer_request_reversed_has_posting CHECK (
    (status = 'reversed') = (reversal_posting_id IS NOT NULL));
ALTER TABLE "suspense_item" ADD CONSTRAINT suspense_item_assigned_has_posting CHECK (
    (status = 'assigned') = (posting_id IS NOT NULL AND account_id IS NOT NULL));
ALTER TABLE "transfer_evidence" ADD CONSTRAINT transfer_evidence_size CHECK (size_bytes > 0 AND size_bytes = octet_length(content));
