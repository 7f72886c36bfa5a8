-- CreateTable
CREATE TABLE "registry" (
    "id" SERIAL NOT NULL,
    "channel" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "sequence" INTEGER NOT NULL DEFAULT 1,
    "source" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "encoding" TEXT NOT NULL,
    "line_count" INTEGER NOT NULL,
    "total_kopecks" BIGINT NOT NULL,
    "commission_kopecks" BIGINT,
    "transfer_kopecks" BIGINT,
    "payment_order_number" TEXT,
    "payment_order_date" DATE,
    "settlement_status" TEXT NOT NULL DEFAULT 'pending',
    "settlement_found_kopecks" BIGINT,
    "settlement_document" JSONB,
    "imported_by_id" INTEGER,
    "imported_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "withdrawn_at" TIMESTAMPTZ(3),

    CONSTRAINT "registry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registry_line" (
    "id" BIGSERIAL NOT NULL,
    "registry_id" INTEGER NOT NULL,
    "line" INTEGER NOT NULL,
    "external_id" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "amount_kopecks" BIGINT NOT NULL,
    "commission_kopecks" BIGINT,
    "operation" TEXT NOT NULL,
    "line_date" DATE NOT NULL,
    "line_time" TEXT,
    "payer" TEXT,
    "references" JSONB,
    "class" TEXT NOT NULL,
    "payment_id" BIGINT,
    "hub_amount_kopecks" BIGINT,
    "hub_account" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_by_id" INTEGER,
    "resolution" TEXT,
    "resolution_note" TEXT,

    CONSTRAINT "registry_line_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registry_missing" (
    "id" BIGSERIAL NOT NULL,
    "registry_id" INTEGER NOT NULL,
    "payment_id" BIGINT NOT NULL,
    "channel" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "amount_kopecks" BIGINT NOT NULL,
    "account" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(3),
    "closed_by_line_id" BIGINT,
    "resolved_by_id" INTEGER,
    "resolution_note" TEXT,

    CONSTRAINT "registry_missing_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "registry_channel_day_sequence_idx" ON "registry"("channel", "day", "sequence");

-- CreateIndex
CREATE INDEX "registry_day_idx" ON "registry"("day");

-- CreateIndex
CREATE INDEX "registry_line_registry_id_line_idx" ON "registry_line"("registry_id", "line");

-- CreateIndex
CREATE INDEX "registry_line_payment_id_idx" ON "registry_line"("payment_id");

-- CreateIndex
CREATE INDEX "registry_line_class_resolved_at_idx" ON "registry_line"("class", "resolved_at");

-- CreateIndex
CREATE INDEX "registry_missing_payment_id_closed_at_idx" ON "registry_missing"("payment_id", "closed_at");

-- CreateIndex
CREATE INDEX "registry_missing_channel_closed_at_idx" ON "registry_missing"("channel", "closed_at");

-- AddForeignKey
ALTER TABLE "registry" ADD CONSTRAINT "registry_imported_by_id_fkey" FOREIGN KEY ("imported_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registry_line" ADD CONSTRAINT "registry_line_registry_id_fkey" FOREIGN KEY ("registry_id") REFERENCES "registry"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registry_line" ADD CONSTRAINT "registry_line_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registry_line" ADD CONSTRAINT "registry_line_resolved_by_id_fkey" FOREIGN KEY ("resolved_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registry_missing" ADD CONSTRAINT "registry_missing_registry_id_fkey" FOREIGN KEY ("registry_id") REFERENCES "registry"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registry_missing" ADD CONSTRAINT "registry_missing_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registry_missing" ADD CONSTRAINT "registry_missing_resolved_by_id_fkey" FOREIGN KEY ("resolved_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
