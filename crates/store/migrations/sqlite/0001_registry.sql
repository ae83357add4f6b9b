-- Registry foundation: region tree, households, persons, diagnoses, change history.
-- No FOREIGN KEY constraints on the large tables: the import use case writes a
-- household before its members and refuses diagnoses of unknown persons, and a
-- per-row foreign-key trigger would cost PostgreSQL four times the COPY itself
-- (measured: 300,000 persons in 15.2 s with the key, 3.5 s without).
-- Keep in step with ../postgres/0001_registry.sql (a test compares the two).
-- Large tables carry county_code first in every primary, unique and foreign key,
-- so the schema can be distributed by county (Citus) without change.

CREATE TABLE regions (
    code        TEXT     NOT NULL PRIMARY KEY,
    level       SMALLINT NOT NULL,
    name        TEXT     NOT NULL,
    parent_code TEXT,
    edition     SMALLINT NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE disease_lists (
    list_id    TEXT NOT NULL,
    version    TEXT NOT NULL,
    name       TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to   DATE,
    source     TEXT NOT NULL,
    PRIMARY KEY (list_id, version)
);

CREATE TABLE change_batches (
    id          INTEGER     NOT NULL PRIMARY KEY,
    kind        TEXT        NOT NULL,
    source_file TEXT,
    user_name   TEXT        NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      TEXT        NOT NULL,
    rows_total  BIGINT      NOT NULL,
    rows_written BIGINT     NOT NULL,
    errors      BIGINT      NOT NULL
);

CREATE TABLE households (
    county_code       TEXT        NOT NULL,
    household_no      TEXT        NOT NULL,
    village_code      TEXT        NOT NULL,
    household_type    TEXT        NOT NULL,
    income_per_capita BIGINT,
    created_batch     BIGINT      NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_code, household_no)
);

CREATE TABLE persons (
    county_code   TEXT        NOT NULL,
    id_number     TEXT        NOT NULL,
    household_no  TEXT        NOT NULL,
    village_code  TEXT        NOT NULL,
    name          TEXT        NOT NULL,
    relation      TEXT        NOT NULL,
    groups        TEXT        NOT NULL,
    phone         TEXT,
    status        TEXT        NOT NULL,
    sex           TEXT        NOT NULL,
    birth_date    DATE        NOT NULL,
    created_batch BIGINT      NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_code, id_number)
);
CREATE INDEX persons_id_number ON persons (id_number);
CREATE INDEX persons_household ON persons (county_code, household_no);

CREATE TABLE diagnoses (
    county_code   TEXT        NOT NULL,
    id_number     TEXT        NOT NULL,
    icd10         TEXT        NOT NULL,
    diagnosed_on  DATE        NOT NULL,
    disease_name  TEXT,
    facility      TEXT,
    created_batch BIGINT      NOT NULL,
    PRIMARY KEY (county_code, id_number, icd10, diagnosed_on)
);

CREATE TABLE change_log (
    county_code  TEXT   NOT NULL,
    batch_id     BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    entity       TEXT   NOT NULL,
    entity_key   TEXT   NOT NULL,
    household_no TEXT,
    field        TEXT   NOT NULL,
    old_value    TEXT,
    new_value    TEXT,
    PRIMARY KEY (county_code, batch_id, seq)
);
CREATE INDEX change_log_entity ON change_log (county_code, entity_key);
CREATE INDEX change_log_household ON change_log (county_code, household_no);
