-- The kind of report (success, failure, pending) that first bound a provider's payment id. A success is flagged for an
-- operator only when an earlier report of ANOTHER kind bound the id (the success may be that report replayed with its
-- unsigned status changed); copies of one success arriving together are not. Bindings made before this column are
-- NULL, which counts as another kind: flagged, the cautious reading.
ALTER TABLE "provider_binding" ADD COLUMN "first_report" TEXT;
