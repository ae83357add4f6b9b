-- Per-village counts for the dashboard, so a page view sums a few hundred
-- rows instead of scanning persons and claims. Refreshed per county after
-- each import (see store::rollups).
CREATE TABLE village_stats (
    county_code   TEXT   NOT NULL,
    village_code  TEXT   NOT NULL,
    households    BIGINT NOT NULL,
    persons       BIGINT NOT NULL,
    active        BIGINT NOT NULL,
    formerly_poor BIGINT NOT NULL,
    monitored     BIGINT NOT NULL,
    extreme_poor  BIGINT NOT NULL,
    subsistence   BIGINT NOT NULL,
    returned_poor BIGINT NOT NULL,
    with_diagnosis BIGINT NOT NULL,
    PRIMARY KEY (county_code, village_code)
);
CREATE INDEX village_stats_village ON village_stats (village_code);

CREATE TABLE village_claim_stats (
    county_code   TEXT     NOT NULL,
    village_code  TEXT     NOT NULL,
    year          SMALLINT NOT NULL,
    claims        BIGINT   NOT NULL,
    persons       BIGINT   NOT NULL,
    total         BIGINT   NOT NULL,
    basic         BIGINT   NOT NULL,
    critical      BIGINT   NOT NULL,
    assistance    BIGINT   NOT NULL,
    supplementary BIGINT   NOT NULL,
    out_of_pocket BIGINT   NOT NULL,
    PRIMARY KEY (county_code, village_code, year)
);
CREATE INDEX village_claim_stats_village ON village_claim_stats (year, village_code);
