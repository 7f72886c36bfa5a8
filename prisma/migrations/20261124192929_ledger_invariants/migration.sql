-- Ledger invariants that Prisma's schema language cannot express; hand-written (created with
-- `prisma migrate dev --create-only`). Prisma's schema differ ignores functions, triggers and CHECK constraints, so
-- `prisma migrate diff --from-migrations … --to-schema … --exit-code` neither reports nor removes them.
--
-- The trigger functions use `SET search_path FROM CURRENT` so the unqualified table names resolve to the schema
-- this migration ran in, whatever search_path the connection that fires them has.

-- (a) Double entry: the entries of a posting sum to zero. Checked at COMMIT (deferred), so a posting's entries can be
-- inserted one by one inside its transaction. Error: SQLSTATE 23514 (check_violation), constraint
-- "ledger_entry_posting_balanced".
CREATE FUNCTION ledger_check_posting_balanced() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
DECLARE
    total numeric;
BEGIN
    SELECT COALESCE(SUM(amount_kopecks), 0) INTO total FROM ledger_entry WHERE posting_id = NEW.posting_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'posting % is unbalanced: its ledger entries sum to % kopecks instead of 0', NEW.posting_id, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_posting_balanced', TABLE = 'ledger_entry';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_entry_posting_balanced
    AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_posting_balanced();

-- (b) Append-only ledger: postings and their entries are never changed or removed; a mistake is corrected by a
-- compensating posting (posting.reverses_posting_id). Error: SQLSTATE P0001 (raise_exception).
-- Row-level triggers: TRUNCATE and DROP do not fire them (test clean-up and `prisma migrate reset` keep working).
CREATE FUNCTION ledger_forbid_update_delete() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the ledger is append-only', TG_OP, TG_TABLE_NAME
        USING HINT = 'Record a compensating posting (reverses_posting_id) instead.', TABLE = TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_update_delete();

CREATE TRIGGER posting_append_only
    BEFORE UPDATE OR DELETE ON posting
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_update_delete();

-- (c) A payment moves a positive sum; its commission is never negative. Errors: SQLSTATE 23514 (check_violation).
ALTER TABLE inbound_payment
    ADD CONSTRAINT inbound_payment_amount_kopecks_positive CHECK (amount_kopecks > 0),
    ADD CONSTRAINT inbound_payment_commission_kopecks_nonnegative CHECK (commission_kopecks >= 0);
