-- The ledger's two database rules run once per statement instead of once per row (issue 11: the per-row deferred
-- zero-sum trigger alone cost about a third of a credit's time). Both keep their meaning for every writer:
--
-- (a) Double entry: within every statement that inserts ledger entries, the entries of each posting sum to zero
-- (a transition table of the statement's new rows, no read of the table itself). The sum over all statements is then
-- zero too; what it forbids is splitting one posting into legs that do not balance statement by statement, which no
-- writer does (src/ledger posts a posting's entries in one statement). Error: SQLSTATE 23514, constraint
-- "ledger_entry_posting_balanced", as before.
CREATE FUNCTION ledger_check_statement_balanced() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
DECLARE
    unbalanced bigint;
    total numeric;
BEGIN
    SELECT posting_id, SUM(amount_kopecks) INTO unbalanced, total
    FROM new_entries GROUP BY posting_id HAVING SUM(amount_kopecks) <> 0 LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'posting % is unbalanced: its ledger entries sum to % kopecks instead of 0', unbalanced, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_posting_balanced', TABLE = 'ledger_entry';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_entry_postings_balanced
    AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_statement_balanced();

DROP TRIGGER ledger_entry_posting_balanced ON ledger_entry;
DROP FUNCTION ledger_check_posting_balanced();

-- (b) Every posting is news for the billing system: its notification rows are written by the database in the
-- postings' own statement, so nothing that moves money can commit without them, whatever code posted it.
CREATE FUNCTION billing_notify_postings() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO billing_notification (posting_id, kind) SELECT id, kind FROM new_postings ORDER BY id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER posting_billing_notifications
    AFTER INSERT ON posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION billing_notify_postings();

DROP TRIGGER posting_billing_notification ON posting;
DROP FUNCTION billing_notify_posting();
