-- CreateTable
CREATE TABLE "payment_reversal" (
    "id" BIGSERIAL NOT NULL,
    "payment_id" BIGINT NOT NULL,
    "reversal_key" TEXT NOT NULL,
    "amount_kopecks" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    "posting_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payment_reversal_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "payment_reversal_posting_id_key" ON "payment_reversal"("posting_id");

-- CreateIndex
CREATE UNIQUE INDEX "payment_reversal_payment_id_reversal_key_key" ON "payment_reversal"("payment_id", "reversal_key");

-- AddForeignKey
ALTER TABLE "payment_reversal" ADD CONSTRAINT "payment_reversal_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_reversal" ADD CONSTRAINT "payment_reversal_posting_id_fkey" FOREIGN KEY ("posting_id") REFERENCES "posting"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A reversal moves a positive sum.
ALTER TABLE "payment_reversal" ADD CONSTRAINT "payment_reversal_amount_kopecks_positive" CHECK ("amount_kopecks" > 0);
