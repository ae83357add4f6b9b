//! What is stored and what is listed: the task window of today, the rows
//! of the `care tasks` file for any date, and the 95-day face-to-face rule.
//!
//! Stored tasks exist only for due dates inside [today − 60, today + 180]:
//! with millions of patients, a task far in the past or future is derived
//! when somebody asks, never kept. The derivation is the one of
//! [`crate::schedule`], so a stored task and a derived one never disagree.

use chrono::NaiveDate;
use jianfu_domain::IdCardNo;

use crate::calendar::{add_days, past_due};
use crate::explain::{Explain, ymd};
use crate::managed::{CareDisease, ManagementSpan};
use crate::schedule::{
    FACE_TO_FACE_DAYS, Task, TaskKind, WINDOW_AHEAD_DAYS, WINDOW_BACK_DAYS, open_tasks_on,
};
use crate::visit::Visit;

/// The stored-task window around a day, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First due date stored (today − 60 days).
    pub from: NaiveDate,
    /// Last due date stored (today + 180 days).
    pub to: NaiveDate,
}

impl Window {
    /// The window of `today`.
    pub fn around(today: NaiveDate) -> Window {
        Window {
            from: add_days(today, -WINDOW_BACK_DAYS),
            to: add_days(today, WINDOW_AHEAD_DAYS),
        }
    }

    /// Where a due date lies relative to the window.
    pub fn place(&self, due: NaiveDate) -> Placement {
        if due < self.from {
            Placement::BeforeWindow
        } else if due > self.to {
            Placement::AfterWindow
        } else {
            Placement::InWindow
        }
    }
}

/// Where an open task's due date lies relative to the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Inside: stored.
    InWindow,
    /// More than 60 days overdue: not stored, derived when asked.
    BeforeWindow,
    /// More than 180 days ahead: not stored yet.
    AfterWindow,
}

/// An open task with its place relative to today's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacedTask {
    /// The task.
    pub task: Task,
    /// Where its due date lies.
    pub placement: Placement,
    /// The window it was placed in.
    pub window: Window,
}

impl PlacedTask {
    /// True when the task belongs in storage.
    pub fn stored(&self) -> bool {
        self.placement == Placement::InWindow
    }
}

impl Explain for PlacedTask {
    fn zh(&self) -> String {
        let (from, to) = (ymd(self.window.from), ymd(self.window.to));
        let place = match self.placement {
            Placement::InWindow => format!("到期日在 {from}—{to} 内，保存"),
            Placement::BeforeWindow => format!("到期日早于 {from}，不保存，需要时推导"),
            Placement::AfterWindow => format!("到期日晚于 {to}，暂不保存"),
        };
        format!("{}；{place}", self.task.zh())
    }

    fn en(&self) -> String {
        let (from, to) = (ymd(self.window.from), ymd(self.window.to));
        let place = match self.placement {
            Placement::InWindow => format!("due within {from}..{to}: stored"),
            Placement::BeforeWindow => {
                format!("due before {from}: not stored, derived when needed")
            }
            Placement::AfterWindow => format!("due after {to}: not stored yet"),
        };
        format!("{}; {place}", self.task.en())
    }
}

/// Every task open today with its placement in today's window; the caller
/// stores those with [`PlacedTask::stored`] and drops stored ones that are
/// no longer listed.
pub fn tasks_in_window(
    spans: &[ManagementSpan],
    visits: &[Visit],
    alert_tasks: &[Task],
    birth: NaiveDate,
    today: NaiveDate,
) -> Vec<PlacedTask> {
    let window = Window::around(today);
    open_tasks_on(spans, visits, alert_tasks, birth, today)
        .into_iter()
        .map(|task| PlacedTask {
            task,
            placement: window.place(task.due),
            window,
        })
        .collect()
}

/// One row of the `care tasks` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskRow {
    /// 身份证号.
    pub id_number: IdCardNo,
    /// The disease.
    pub disease: CareDisease,
    /// The task.
    pub task: TaskKind,
    /// Its due date.
    pub due: NaiveDate,
    /// Past due on the file's date.
    pub overdue: bool,
}

impl TaskRow {
    /// The file's header.
    pub const HEADER: [&'static str; 5] = ["id_number", "disease", "task", "due", "overdue"];

    /// The row's cells, in header order (the full ID number: the file is
    /// an audited export).
    pub fn cells(&self) -> [String; 5] {
        [
            self.id_number.as_str().to_string(),
            self.disease.code().to_string(),
            self.task.code().to_string(),
            ymd(self.due),
            self.overdue.to_string(),
        ]
    }

    /// The file's order: ID number, disease code, due date (then task code).
    pub fn sort_key(&self) -> (&str, &'static str, NaiveDate, &'static str) {
        (
            self.id_number.as_str(),
            self.disease.code(),
            self.due,
            self.task.code(),
        )
    }
}

/// The rows of one person for the file as of `as_of`, in file order.
pub fn task_rows(
    id_number: IdCardNo,
    spans: &[ManagementSpan],
    visits: &[Visit],
    alert_tasks: &[Task],
    as_of: NaiveDate,
) -> Vec<TaskRow> {
    let birth = id_number.birth_date();
    let mut rows: Vec<TaskRow> = open_tasks_on(spans, visits, alert_tasks, birth, as_of)
        .into_iter()
        .map(|t| TaskRow {
            id_number,
            disease: t.disease,
            task: t.kind,
            due: t.due,
            overdue: past_due(t.due, as_of),
        })
        .collect();
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    rows
}

/// The 95-day face-to-face rule of one hypertension or diabetes span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceToFaceGap {
    /// The disease.
    pub disease: CareDisease,
    /// The last face-to-face visit in the span on or before the date.
    pub last_face_to_face: Option<NaiveDate>,
    /// The day the gap is counted from: that visit, or the start of management.
    pub counted_from: NaiveDate,
    /// The last day that is still in time (counted_from + 95 days).
    pub deadline: NaiveDate,
    /// True when `as_of` is past the deadline: 95 whole days went by
    /// without a face-to-face visit.
    pub overdue: bool,
}

/// The face-to-face gap on `as_of` of a hypertension or diabetes span
/// covering it; `None` for other spans or dates outside the span.
pub fn face_to_face_gap(
    span: &ManagementSpan,
    visits: &[Visit],
    as_of: NaiveDate,
) -> Option<FaceToFaceGap> {
    if !matches!(
        span.disease,
        CareDisease::Hypertension | CareDisease::Diabetes
    ) || !span.covers(as_of)
    {
        return None;
    }
    let last = visits
        .iter()
        .filter(|v| v.disease() == span.disease && v.is_face_to_face())
        .map(Visit::date)
        .filter(|d| *d <= as_of && span.covers(*d))
        .max();
    let counted_from = last.unwrap_or(span.since);
    let deadline = add_days(counted_from, FACE_TO_FACE_DAYS);
    Some(FaceToFaceGap {
        disease: span.disease,
        last_face_to_face: last,
        counted_from,
        deadline,
        overdue: past_due(deadline, as_of),
    })
}

impl Explain for FaceToFaceGap {
    fn zh(&self) -> String {
        let from = match self.last_face_to_face {
            Some(d) => format!("末次面对面随访 {}", ymd(d)),
            None => format!("{}纳入管理后尚无面对面随访", ymd(self.counted_from)),
        };
        let state = if self.overdue {
            "已超过95天，随访逾期"
        } else {
            "未超过95天"
        };
        format!(
            "{}：{from}，{}前应面对面随访，{state}",
            self.disease.label(),
            ymd(self.deadline)
        )
    }

    fn en(&self) -> String {
        let from = match self.last_face_to_face {
            Some(d) => format!("last face-to-face visit {}", ymd(d)),
            None => format!(
                "no face-to-face visit since management began on {}",
                ymd(self.counted_from)
            ),
        };
        let state = if self.overdue {
            "over 95 days: overdue"
        } else {
            "within 95 days"
        };
        format!(
            "{}: {from}, next face-to-face visit by {}, {state}",
            self.disease.code(),
            ymd(self.deadline)
        )
    }
}
