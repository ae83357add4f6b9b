-- Return-to-poverty monitoring (防止因病返贫动态监测).
--
-- monitoring_params: parameter sets, versioned like `policies` (region
-- prefix, validity, the TOML source kept as loaded). A reference table.
-- valid_to is NULL for an open-ended set.
CREATE TABLE monitoring_params (
    id            INTEGER     NOT NULL PRIMARY KEY,
    name          TEXT        NOT NULL,
    region_prefix TEXT        NOT NULL,
    valid_from    DATE        NOT NULL,
    valid_to      DATE,
    source        TEXT        NOT NULL,
    loaded_at     TIMESTAMPTZ NOT NULL,
    loaded_by     TEXT        NOT NULL
);

-- monitoring_alerts: one row per household, year and rule (R2, R3, R5).
-- status is the lifecycle (open, linked, dismissed, lapsed); holds says
-- whether the rule's condition held at the last evaluation, so a linked
-- or dismissed alert still tells whether its condition stands. Money in
-- fen; figures are those of the last evaluation at which the rule held.
-- explanation is one line of Chinese, explanation_json the structure.
CREATE TABLE monitoring_alerts (
    county_code       TEXT        NOT NULL,
    household_no      TEXT        NOT NULL,
    year              SMALLINT    NOT NULL,
    rule              TEXT        NOT NULL,
    village_code      TEXT        NOT NULL,
    status            TEXT        NOT NULL,
    holds             BOOLEAN     NOT NULL,
    out_of_pocket     BIGINT      NOT NULL,
    threshold         BIGINT,
    income_per_capita BIGINT,
    size              BIGINT      NOT NULL,
    candidate         BOOLEAN     NOT NULL,
    category          TEXT,
    params_name       TEXT        NOT NULL,
    as_of             DATE        NOT NULL,
    raised_at         TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    explanation       TEXT        NOT NULL,
    explanation_json  TEXT        NOT NULL,
    PRIMARY KEY (county_code, household_no, year, rule)
);
-- A jurisdiction's alerts (township or village range) by year.
CREATE INDEX monitoring_alerts_village ON monitoring_alerts (village_code, year);
