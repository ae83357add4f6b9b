-- A1–A3 findings (异常结算) and each county's monthly feedback list
-- (月度反馈清单). Once a month is over, every claim of a poor patient
-- settled in the twelve months up to that month's end that breaks A1, A2
-- or A3 and was not on an earlier list goes on the insured county's list
-- for that month; the county answers every finding (核查反馈). The list is
-- a step of the supervision ladder owned by the county: its first
-- supervision item is at the county itself, and while findings stay
-- unanswered past the list's deadline it climbs to the city and the
-- province. Its items are in supervision_items with step_kind
-- 'anomaly_feedback' and case_id holding the list's id.
CREATE TABLE anomaly_feedback (
    id          INTEGER     NOT NULL PRIMARY KEY,
    county_code TEXT        NOT NULL,
    month       TEXT        NOT NULL,
    raised_on   DATE        NOT NULL,
    due_on      DATE        NOT NULL,
    done_on     DATE,
    findings    BIGINT      NOT NULL,
    raised_at   TIMESTAMPTZ NOT NULL
);
-- One list per county and month: generating twice adds nothing.
CREATE UNIQUE INDEX anomaly_feedback_key ON anomaly_feedback (county_code, month);
-- Lists a scan may have to act on.
CREATE INDEX anomaly_feedback_open ON anomaly_feedback (done_on, due_on);

-- One row per claim found; a claim is listed once.
CREATE TABLE anomaly_findings (
    id            INTEGER     NOT NULL PRIMARY KEY,
    feedback_id   BIGINT      NOT NULL,
    county_code   TEXT        NOT NULL,
    claim_id      TEXT        NOT NULL,
    household_no  TEXT        NOT NULL,
    village_code  TEXT        NOT NULL,
    settled_on    DATE        NOT NULL,
    rules         TEXT        NOT NULL,
    total         BIGINT      NOT NULL,
    out_of_pocket BIGINT      NOT NULL,
    actual_ratio  BIGINT      NOT NULL,
    explanation   TEXT        NOT NULL,
    answer        TEXT,
    answered_on   DATE,
    answered_by   TEXT,
    answered_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX anomaly_findings_claim ON anomaly_findings (county_code, claim_id);
CREATE INDEX anomaly_findings_list ON anomaly_findings (feedback_id, id);
