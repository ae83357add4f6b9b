-- Supervision (督办): one row per order given to one level of government
-- to get a late step done. A step is a deadline of a case
-- (case_deadlines: case_id, step_kind = its kind, step_opened_on) that
-- has passed. The first item is raised at the parent of the step's owner;
-- when an item's own deadline passes with the step still not done, a new
-- item is raised one level higher (the lower ones stay open). All items
-- of a step close when the step is done, recording how late it was.
-- county_code and household_no name the case's household for lists and
-- jurisdiction; region_code is the level that must act.
CREATE TABLE supervision_items (
    id                INTEGER     NOT NULL PRIMARY KEY,
    case_id           BIGINT      NOT NULL,
    step_kind         TEXT        NOT NULL,
    step_opened_on    DATE        NOT NULL,
    step_owner        TEXT        NOT NULL,
    step_due_on       DATE        NOT NULL,
    county_code       TEXT        NOT NULL,
    household_no      TEXT        NOT NULL,
    village_code      TEXT        NOT NULL,
    region_code       TEXT        NOT NULL,
    level             SMALLINT    NOT NULL,
    raised_on         DATE        NOT NULL,
    due_on            DATE        NOT NULL,
    closed_on         DATE,
    late_days         BIGINT,
    late_working_days BIGINT,
    raised_at         TIMESTAMPTZ NOT NULL
);
-- The open items a scan reads, and a level's list.
CREATE INDEX supervision_items_open ON supervision_items (closed_on, region_code);
-- The items of one step.
CREATE INDEX supervision_items_step ON supervision_items (case_id, step_kind, step_opened_on);
