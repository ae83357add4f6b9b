-- The primary key leads with the ID number, so that one B-tree both keeps
-- (county, ID number) unique and finds a person by ID number alone (the
-- import's lookup, the search by ID number). The separate ID-number index
-- goes: one B-tree fewer for every person written. SQLite cannot change a
-- primary key in place, so the table is rebuilt.
CREATE TABLE persons_rekeyed (
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
    PRIMARY KEY (id_number, county_code)
);
INSERT INTO persons_rekeyed SELECT county_code, id_number, household_no, village_code, name,
    relation, groups, phone, status, sex, birth_date, created_batch, updated_at
    FROM persons ORDER BY id_number, county_code;
DROP TABLE persons;
ALTER TABLE persons_rekeyed RENAME TO persons;
CREATE INDEX persons_household ON persons (household_no, county_code);
CREATE INDEX persons_village ON persons (village_code, household_no, id_number);
CREATE INDEX persons_name ON persons (name, id_number, village_code);
