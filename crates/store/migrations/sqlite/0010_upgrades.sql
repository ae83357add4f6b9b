-- One-off data upgrades that need the application's own code (the
-- settlement engine), run by `Db::open` after the schema migrations and
-- deleted in the transaction that does them.
--
-- assistance_base_rule: from this version a claim settled while the person
-- holds no assistance group neither pays Tier 3 nor grows the person-year's
-- Tier-3 base (settlement.md §3 step 4). Person-years settled under the old
-- rule with such a claim are re-settled once, reason `rule_change`.
CREATE TABLE pending_upgrades (
    name       TEXT NOT NULL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);

INSERT INTO pending_upgrades (name, created_at)
SELECT 'assistance_base_rule', CURRENT_TIMESTAMP
WHERE EXISTS (SELECT 1 FROM person_years WHERE assistance_base > 0);
