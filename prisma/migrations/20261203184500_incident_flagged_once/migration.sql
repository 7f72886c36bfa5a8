-- One open incident per kind, payment reference and detail: a provider repeating the same request concurrently is
-- flagged once (intake inserts ON CONFLICT DO NOTHING against this index; a NOT EXISTS check alone lets concurrent
-- copies through). Copies that got through before are closed first, pointing at the one kept. Prisma's schema cannot
-- express a partial expression index; its differ leaves it alone.
UPDATE "intake_incident" AS copy
SET "resolved_at" = now(), "resolution_note" = 'a copy of incident ' || kept.id || ', recorded by concurrent repeats of one request'
FROM (
    SELECT min("id") AS id, "kind", "channel", "external_id", md5("detail") AS digest
    FROM "intake_incident" WHERE "resolved_at" IS NULL
    GROUP BY "kind", "channel", "external_id", md5("detail")
) AS kept
WHERE copy."resolved_at" IS NULL AND copy."kind" = kept."kind" AND copy."channel" = kept."channel"
    AND copy."external_id" = kept."external_id" AND md5(copy."detail") = kept.digest AND copy."id" <> kept.id;

CREATE UNIQUE INDEX "intake_incident_open_once" ON "intake_incident" ("kind", "channel", "external_id", md5("detail")) WHERE "resolved_at" IS NULL;
