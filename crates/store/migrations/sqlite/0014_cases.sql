-- Cases of the monitoring procedure (识别程序, domain.md §3.4–3.6).
--
-- cases: one row per household case, holding the pure engine's `Case`
-- value (jianfu_monitoring::case::Case) field by field; its open
-- deadlines are the rows of case_deadlines with done_on NULL. channel is
-- `alert:R2` … or `self_declaration`, `cadre_screening`,
-- `department_data`, `social_supervision`. A household has at most one
-- case that is not final (rejected, closed): the service checks it.
CREATE TABLE cases (
    id                     INTEGER     NOT NULL PRIMARY KEY,
    county_code            TEXT        NOT NULL,
    household_no           TEXT        NOT NULL,
    village_code           TEXT        NOT NULL,
    state                  TEXT        NOT NULL,
    channel                TEXT        NOT NULL,
    green_channel          BOOLEAN     NOT NULL,
    opened_on              DATE        NOT NULL,
    last_step_on           DATE        NOT NULL,
    publicity_earliest_end DATE,
    open_objections        BIGINT      NOT NULL,
    home_visits            BIGINT      NOT NULL,
    measures               BIGINT      NOT NULL,
    approved_on            DATE,
    eliminated_on          DATE,
    follow_on_until        DATE,
    steps                  BIGINT      NOT NULL,
    opened_by              TEXT        NOT NULL,
    opened_at              TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);
-- A jurisdiction's cases; a household's cases.
CREATE INDEX cases_village ON cases (village_code, state);
CREATE INDEX cases_household ON cases (county_code, household_no);

-- case_timeline: one row per step (the engine's TimelineEntry) with who
-- took it and when; from_state is NULL for the opening.
CREATE TABLE case_timeline (
    id         INTEGER     NOT NULL PRIMARY KEY,
    case_id    BIGINT      NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    step_on    DATE        NOT NULL,
    action     TEXT        NOT NULL,
    from_state TEXT,
    to_state   TEXT        NOT NULL,
    role       TEXT        NOT NULL,
    username   TEXT        NOT NULL,
    note       TEXT        NOT NULL,
    reason     TEXT,
    text       TEXT        NOT NULL
);
CREATE INDEX case_timeline_case ON case_timeline (case_id, id);

-- case_deadlines: every deadline a case opened; done_on is the day a step
-- closed it (NULL while open). kind is DeadlineKind::code(); owner_code the
-- region that owns the step (Deadline::owner of the case's village). A
-- deadline of the same kind reopened on the same day replaces the closed
-- one (the key is the day it opened).
CREATE TABLE case_deadlines (
    case_id    BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    owner_code TEXT   NOT NULL,
    opened_on  DATE   NOT NULL,
    due_on     DATE   NOT NULL,
    done_on    DATE,
    PRIMARY KEY (case_id, kind, opened_on)
);
-- The open (done_on NULL) deadlines by due date, for scans and "overdue".
CREATE INDEX case_deadlines_due ON case_deadlines (done_on, due_on);

-- case_measures: the measures (帮扶措施, §3.5) recorded by a step. Money in
-- fen; description empty unless given.
CREATE TABLE case_measures (
    id           INTEGER     NOT NULL PRIMARY KEY,
    case_id      BIGINT      NOT NULL,
    timeline_id  BIGINT      NOT NULL,
    measure_type TEXT        NOT NULL,
    department   TEXT        NOT NULL,
    start_on     DATE        NOT NULL,
    amount       BIGINT,
    responsible  TEXT        NOT NULL,
    description  TEXT        NOT NULL,
    recorded_by  TEXT        NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_measures_case ON case_measures (case_id, id);

-- case_attachments: photos and scans (JPEG, PNG, PDF, checked by their
-- first bytes), kept in the database so they commit with their step and
-- travel with backups. timeline_id is the step they came with, NULL when
-- added to the case afterwards.
CREATE TABLE case_attachments (
    id          INTEGER     NOT NULL PRIMARY KEY,
    case_id     BIGINT      NOT NULL,
    timeline_id BIGINT,
    file_name   TEXT        NOT NULL,
    media_type  TEXT        NOT NULL,
    size        BIGINT      NOT NULL,
    sha256      TEXT        NOT NULL,
    content     BLOB        NOT NULL,
    uploaded_by TEXT        NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments (case_id, id);

-- case_alerts: which case an alert (status linked) belongs to.
CREATE TABLE case_alerts (
    county_code  TEXT        NOT NULL,
    household_no TEXT        NOT NULL,
    year         SMALLINT    NOT NULL,
    rule         TEXT        NOT NULL,
    case_id      BIGINT      NOT NULL,
    linked_by    TEXT        NOT NULL,
    linked_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_code, household_no, year, rule)
);
CREATE INDEX case_alerts_case ON case_alerts (case_id);

-- alert_dismissals: why an alert was dismissed (status dismissed), by whom.
CREATE TABLE alert_dismissals (
    county_code  TEXT        NOT NULL,
    household_no TEXT        NOT NULL,
    year         SMALLINT    NOT NULL,
    rule         TEXT        NOT NULL,
    reason       TEXT        NOT NULL,
    dismissed_by TEXT        NOT NULL,
    dismissed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_code, household_no, year, rule)
);
