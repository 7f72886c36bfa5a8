-- AlterTable
ALTER TABLE "intake_incident" ADD COLUMN     "request_id" TEXT,
ADD COLUMN     "resolution_note" TEXT,
ADD COLUMN     "resolved_by_id" INTEGER;

-- AlterTable
ALTER TABLE "payment_reversal" ADD COLUMN     "provider_time" TEXT,
ADD COLUMN     "request" JSONB;

-- CreateTable
CREATE TABLE "provider_binding" (
    "id" BIGSERIAL NOT NULL,
    "channel" TEXT NOT NULL,
    "provider_reference" TEXT NOT NULL,
    "payment_id" BIGINT NOT NULL,
    "amount_kopecks" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_binding_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "provider_binding_payment_id_key" ON "provider_binding"("payment_id");

-- CreateIndex
CREATE UNIQUE INDEX "provider_binding_channel_provider_reference_key" ON "provider_binding"("channel", "provider_reference");

-- CreateIndex
CREATE INDEX "intake_incident_resolved_at_kind_idx" ON "intake_incident"("resolved_at", "kind");

-- AddForeignKey
ALTER TABLE "intake_incident" ADD CONSTRAINT "intake_incident_resolved_by_id_fkey" FOREIGN KEY ("resolved_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "provider_binding" ADD CONSTRAINT "provider_binding_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Until now payment_intent held what WebMoney's unsigned pre-requests asked for. From now on it holds only what payhub
-- issued itself (WebMoney invoices numbered by their own id, QIWI bills): the old rows are kept, under a channel name
-- nothing reads, so that no unsigned request is ever taken for payhub's own record and no old reference collides with
-- a new invoice number.
UPDATE "payment_intent" SET "channel" = 'webmoney-prerequest-before-invoices' WHERE "channel" = 'webmoney';

-- A provider id's binding is the record a later message is checked against: never changed, never removed.
CREATE TRIGGER provider_binding_append_only
    BEFORE UPDATE OR DELETE ON provider_binding
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_update_delete();
