-- CreateEnum
CREATE TYPE "AccountStatus" AS ENUM ('active', 'blocked', 'closed');

-- CreateEnum
CREATE TYPE "LedgerAccountKind" AS ENUM ('subscriber', 'clearing', 'cash', 'suspense', 'commission');

-- CreateEnum
CREATE TYPE "PaymentStatus" AS ENUM ('accepted', 'credited', 'failed');

-- CreateTable
CREATE TABLE "subscriber_account" (
    "id" SERIAL NOT NULL,
    "number" TEXT NOT NULL,
    "login" TEXT,
    "owner_name" TEXT NOT NULL,
    "address" TEXT NOT NULL DEFAULT '',
    "phone" TEXT,
    "status" "AccountStatus" NOT NULL DEFAULT 'active',
    "monthly_fee_kopecks" BIGINT NOT NULL DEFAULT 0,
    "balance_kopecks" BIGINT NOT NULL DEFAULT 0,
    "ledger_account_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscriber_account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_account" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "kind" "LedgerAccountKind" NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "posting" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "memo" TEXT,
    "credit_of_payment_id" BIGINT,
    "payment_id" BIGINT,
    "reverses_posting_id" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "posting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_entry" (
    "id" BIGSERIAL NOT NULL,
    "posting_id" BIGINT NOT NULL,
    "ledger_account_id" INTEGER NOT NULL,
    "amount_kopecks" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbound_payment" (
    "id" BIGSERIAL NOT NULL,
    "channel" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "profile" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "account_number" TEXT NOT NULL,
    "account_id" INTEGER,
    "amount_kopecks" BIGINT NOT NULL,
    "commission_kopecks" BIGINT NOT NULL DEFAULT 0,
    "payer_amount_kopecks" BIGINT,
    "provider_time" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" "PaymentStatus" NOT NULL DEFAULT 'accepted',
    "credited_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "failure_reason" TEXT,
    "request" JSONB NOT NULL,
    "response" TEXT,
    "request_id" TEXT,

    CONSTRAINT "inbound_payment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "topic" TEXT NOT NULL,
    "payment_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "intake_incident" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "payment_id" BIGINT,
    "detail" TEXT NOT NULL,
    "request" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "intake_incident_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "subscriber_account_number_key" ON "subscriber_account"("number");

-- CreateIndex
CREATE UNIQUE INDEX "subscriber_account_login_key" ON "subscriber_account"("login");

-- CreateIndex
CREATE UNIQUE INDEX "subscriber_account_ledger_account_id_key" ON "subscriber_account"("ledger_account_id");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_account_code_key" ON "ledger_account"("code");

-- CreateIndex
CREATE UNIQUE INDEX "posting_credit_of_payment_id_key" ON "posting"("credit_of_payment_id");

-- CreateIndex
CREATE INDEX "posting_payment_id_idx" ON "posting"("payment_id");

-- CreateIndex
CREATE INDEX "ledger_entry_ledger_account_id_id_idx" ON "ledger_entry"("ledger_account_id", "id");

-- CreateIndex
CREATE INDEX "ledger_entry_posting_id_idx" ON "ledger_entry"("posting_id");

-- CreateIndex
CREATE INDEX "inbound_payment_status_received_at_idx" ON "inbound_payment"("status", "received_at");

-- CreateIndex
CREATE INDEX "inbound_payment_account_id_received_at_idx" ON "inbound_payment"("account_id", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "inbound_payment_channel_external_id_key" ON "inbound_payment"("channel", "external_id");

-- CreateIndex
CREATE INDEX "outbox_processed_at_created_at_idx" ON "outbox"("processed_at", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_topic_payment_id_key" ON "outbox"("topic", "payment_id");

-- CreateIndex
CREATE INDEX "intake_incident_created_at_idx" ON "intake_incident"("created_at");

-- AddForeignKey
ALTER TABLE "subscriber_account" ADD CONSTRAINT "subscriber_account_ledger_account_id_fkey" FOREIGN KEY ("ledger_account_id") REFERENCES "ledger_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "posting" ADD CONSTRAINT "posting_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "posting" ADD CONSTRAINT "posting_reverses_posting_id_fkey" FOREIGN KEY ("reverses_posting_id") REFERENCES "posting"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_posting_id_fkey" FOREIGN KEY ("posting_id") REFERENCES "posting"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_ledger_account_id_fkey" FOREIGN KEY ("ledger_account_id") REFERENCES "ledger_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_payment" ADD CONSTRAINT "inbound_payment_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "subscriber_account"("id") ON DELETE SET NULL ON UPDATE CASCADE;
