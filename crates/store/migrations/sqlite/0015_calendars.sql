-- Working-day calendars (工作日历) added after release: one row per file
-- loaded with `jianfu calendar add`. The national files 2022–2026 are
-- compiled into the binary and not stored here. A file is a year of the
-- national calendar (region_prefix '') or a region's own days (a 2/4/6/9/
-- 12-digit prefix). Rows are never changed or removed: replacing a
-- (region, year) adds a row with replaces = the id it replaces, and the
-- file in force for a (region, year) is its row with the highest id.
-- source is the notice's number or title; toml the file as loaded.
CREATE TABLE calendars (
    id            INTEGER     NOT NULL PRIMARY KEY,
    year          SMALLINT    NOT NULL,
    region_prefix TEXT        NOT NULL,
    source        TEXT        NOT NULL,
    file_name     TEXT        NOT NULL,
    toml          TEXT        NOT NULL,
    replaces      BIGINT,
    loaded_at     TIMESTAMPTZ NOT NULL,
    loaded_by     TEXT        NOT NULL
);

CREATE INDEX calendars_region_year ON calendars (region_prefix, year, id);
