-- CreateTable
CREATE TABLE "payment_intent" (
    "id" BIGSERIAL NOT NULL,
    "channel" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "account_number" TEXT NOT NULL,
    "amount_kopecks" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payment_intent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "payment_intent_channel_reference_key" ON "payment_intent"("channel", "reference");
