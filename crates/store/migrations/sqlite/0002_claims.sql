-- Claims (医保结算记录) and their settlement: policy versions, the claims
-- with their tier amounts, per person-year accumulators and the record of
-- amounts changed by late claims, reversals and new policy versions.
-- Keep in step with ../postgres/0002_claims.sql (a test compares the two).
-- As in 0001: no foreign keys on large tables; county_code first in every key.
-- Money is BIGINT fen. settled_at is the platform's local (Beijing) time
-- as written in the file, so it is a TIMESTAMP without time zone.

-- Reference table: settlement parameter sets, versioned by region prefix
-- and validity. The TOML source is kept so a claim's policy_id says
-- exactly which rules settled it.
CREATE TABLE policies (
    id            INTEGER     NOT NULL PRIMARY KEY,
    name          TEXT        NOT NULL,
    region_prefix TEXT NOT NULL,
    valid_from    DATE        NOT NULL,
    valid_to      DATE        NOT NULL,
    source        TEXT        NOT NULL,
    loaded_at     TIMESTAMPTZ NOT NULL,
    loaded_by     TEXT        NOT NULL
);

-- One row per claim or reversal. Tier amounts are NULL for a reversal and
-- for a claim that has been reversed (neither is settled); input_seq
-- (batch << 32 | file row) orders claims with the same settled_at in the
-- order they were first imported.
CREATE TABLE claims (
    county_code          TEXT NOT NULL,
    claim_id             TEXT NOT NULL,
    person_id            TEXT NOT NULL,
    year                 SMALLINT    NOT NULL,
    groups               TEXT NOT NULL,
    groups_from_registry BOOLEAN     NOT NULL,
    kind                 TEXT NOT NULL,
    level                TEXT NOT NULL,
    county_internal      BOOLEAN     NOT NULL,
    settled_at           TIMESTAMP   NOT NULL,
    input_seq            BIGINT      NOT NULL,
    total                BIGINT      NOT NULL,
    policy_scope         BIGINT      NOT NULL,
    reverses             TEXT,
    reversed_by          TEXT,
    icd10                TEXT,
    facility_code        TEXT,
    admitted_on          DATE,
    pay_later            BOOLEAN,
    one_stop             BOOLEAN,
    policy_id            BIGINT,
    basic                BIGINT,
    critical             BIGINT,
    assistance           BIGINT,
    supplementary        BIGINT,
    out_of_pocket        BIGINT,
    created_batch        BIGINT      NOT NULL,
    settled_batch        BIGINT      NOT NULL,
    PRIMARY KEY (county_code, claim_id)
);
-- Loads a person-year for re-settlement, and a county's year for simulation.
CREATE INDEX claims_year_person ON claims (county_code, year, person_id);

-- The engine's accumulators after the last standing claim of each
-- person-year (so a claim that settles last needs no other claim read),
-- and the year's sums for statistics.
CREATE TABLE person_years (
    county_code              TEXT NOT NULL,
    person_id                TEXT NOT NULL,
    year                     SMALLINT  NOT NULL,
    admissions               BIGINT    NOT NULL,
    basic_used_inpatient     BIGINT    NOT NULL,
    basic_used_chronic       BIGINT    NOT NULL,
    basic_used_outpatient    BIGINT    NOT NULL,
    critical_base            BIGINT    NOT NULL,
    assistance_base          BIGINT    NOT NULL,
    supplementary_base       BIGINT    NOT NULL,
    last_settled_at          TIMESTAMP,
    last_input_seq           BIGINT,
    claims                   BIGINT    NOT NULL,
    total                    BIGINT    NOT NULL,
    policy_scope             BIGINT    NOT NULL,
    basic                    BIGINT    NOT NULL,
    critical                 BIGINT    NOT NULL,
    assistance               BIGINT    NOT NULL,
    supplementary            BIGINT    NOT NULL,
    out_of_pocket            BIGINT    NOT NULL,
    updated_batch            BIGINT    NOT NULL,
    PRIMARY KEY (county_code, person_id, year)
);

-- Amounts of stored claims changed by a later batch: reason late_claim,
-- reversal or policy_change; old and new tiers in fen (new all zero for a
-- reversed claim).
CREATE TABLE claim_adjustments (
    county_code       TEXT NOT NULL,
    batch_id          BIGINT   NOT NULL,
    seq               BIGINT   NOT NULL,
    claim_id          TEXT NOT NULL,
    person_id         TEXT NOT NULL,
    year              SMALLINT NOT NULL,
    reason            TEXT NOT NULL,
    old_basic         BIGINT   NOT NULL,
    old_critical      BIGINT   NOT NULL,
    old_assistance    BIGINT   NOT NULL,
    old_supplementary BIGINT   NOT NULL,
    old_out_of_pocket BIGINT   NOT NULL,
    new_basic         BIGINT   NOT NULL,
    new_critical      BIGINT   NOT NULL,
    new_assistance    BIGINT   NOT NULL,
    new_supplementary BIGINT   NOT NULL,
    new_out_of_pocket BIGINT   NOT NULL,
    PRIMARY KEY (county_code, batch_id, seq)
);
CREATE INDEX claim_adjustments_claim ON claim_adjustments (county_code, claim_id);

