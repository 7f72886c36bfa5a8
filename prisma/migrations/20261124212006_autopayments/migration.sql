-- CreateEnum
CREATE TYPE "AutopaymentState" AS ENUM ('active', 'cancelled', 'expired');

-- AlterTable
ALTER TABLE "inbound_payment" ADD COLUMN     "autopayment_id" INTEGER;

-- CreateTable
CREATE TABLE "autopayment" (
    "id" SERIAL NOT NULL,
    "account_id" INTEGER NOT NULL,
    "amount_kopecks" BIGINT NOT NULL,
    "period_days" INTEGER NOT NULL,
    "until_date" DATE,
    "state" "AutopaymentState" NOT NULL DEFAULT 'active',
    "provider_subscription_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMPTZ(3),
    "last_charged_at" TIMESTAMPTZ(3),

    CONSTRAINT "autopayment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "autopayment_provider_subscription_id_key" ON "autopayment"("provider_subscription_id");

-- CreateIndex
CREATE INDEX "autopayment_account_id_state_idx" ON "autopayment"("account_id", "state");

-- CreateIndex
CREATE INDEX "inbound_payment_autopayment_id_idx" ON "inbound_payment"("autopayment_id");

-- AddForeignKey
ALTER TABLE "autopayment" ADD CONSTRAINT "autopayment_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "subscriber_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_payment" ADD CONSTRAINT "inbound_payment_autopayment_id_fkey" FOREIGN KEY ("autopayment_id") REFERENCES "autopayment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
