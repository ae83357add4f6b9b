-- Pre-warnings pushed by another department (部门推送预警, domain.md §3.3
-- R6 and §3.4 部门筛查预警): one row per pushed row of a `pushes` import,
-- naming the person, the department (PushSource code: medical_insurance,
-- civil_affairs, education, housing, other), the day it was pushed, the
-- reason and an amount in fen (NULL when not given). The natural key is
-- (id_number, source, pushed_on, reason): importing the same list again
-- adds nothing. Each push became a pre-warning in a case: case_id is the
-- case it opened (opened_case) or joined. county_code, household_no and
-- village_code are the person's household when pushed.
CREATE TABLE department_pushes (
    id           INTEGER     NOT NULL PRIMARY KEY,
    id_number    TEXT        NOT NULL,
    source       TEXT        NOT NULL,
    pushed_on    DATE        NOT NULL,
    reason       TEXT        NOT NULL,
    amount       BIGINT,
    push_ref     TEXT,
    remark       TEXT,
    county_code  TEXT        NOT NULL,
    household_no TEXT        NOT NULL,
    village_code TEXT        NOT NULL,
    case_id      BIGINT      NOT NULL,
    opened_case  BOOLEAN     NOT NULL,
    batch_id     BIGINT      NOT NULL,
    imported_by  TEXT        NOT NULL,
    imported_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX department_pushes_key
    ON department_pushes (id_number, source, pushed_on, reason);
-- The pushes of a case; of a household.
CREATE INDEX department_pushes_case ON department_pushes (case_id, id);
CREATE INDEX department_pushes_household
    ON department_pushes (county_code, household_no);
