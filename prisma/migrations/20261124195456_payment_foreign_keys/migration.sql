-- DropForeignKey
ALTER TABLE "inbound_payment" DROP CONSTRAINT "inbound_payment_account_id_fkey";

-- DropForeignKey
ALTER TABLE "posting" DROP CONSTRAINT "posting_payment_id_fkey";

-- DropForeignKey
ALTER TABLE "posting" DROP CONSTRAINT "posting_reverses_posting_id_fkey";

-- AddForeignKey
ALTER TABLE "posting" ADD CONSTRAINT "posting_credit_of_payment_id_fkey" FOREIGN KEY ("credit_of_payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "posting" ADD CONSTRAINT "posting_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "posting" ADD CONSTRAINT "posting_reverses_posting_id_fkey" FOREIGN KEY ("reverses_posting_id") REFERENCES "posting"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_payment" ADD CONSTRAINT "inbound_payment_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "subscriber_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "intake_incident" ADD CONSTRAINT "intake_incident_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "inbound_payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
