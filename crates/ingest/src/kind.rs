//! What makes a kind of import file: its columns, its row parser, its
//! cross-row checks and the question of jurisdiction each of its rows
//! asks. The reader ([`crate::ImportReader`]), the check pass
//! ([`crate::check_file`]) and the service's write pass are written once
//! over [`ImportKind`]; a new kind of file is one module implementing it.

use std::borrow::Cow;
use std::sync::Arc;

use jianfu_domain::{IdCardNo, RegionCode};

use crate::check::{
    OUTSIDE_JURISDICTION_PERSON, OUTSIDE_JURISDICTION_VILLAGE, PersonCheck, RowSet, VillageCheck,
};
use crate::columns::{ColumnDef, FileKind};
use crate::fields::{Cells, report_value};
use crate::hash::FastMap;
use crate::report::{ReportSink, RowError, Severity};

/// What names and describes a kind of file.
#[derive(Debug)]
pub struct KindSpec {
    /// English name (`persons`): the command line's word and the change
    /// batches' kind.
    pub name: &'static str,
    /// Chinese name (人员), in the report and the template.
    pub label: &'static str,
    /// The columns, in template order.
    pub columns: &'static [ColumnDef],
    /// A last note on the template's 填写说明 sheet.
    pub template_note: Option<&'static str>,
}

/// The question of jurisdiction the rows of a kind ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// Is the village of the row's household inside (and in the region
    /// tree)?
    Village,
    /// Is the person the row names inside (and in the registry)?
    Person,
}

/// What a row names that the jurisdiction judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A household's village.
    Village(RegionCode),
    /// A registered person.
    Person(IdCardNo),
}

impl Subject {
    fn as_str(&self) -> &str {
        match self {
            Subject::Village(c) => c.as_str(),
            Subject::Person(id) => id.as_str(),
        }
    }
}

/// The answers of the importer's jurisdiction, with the region tree and
/// the registry behind it, to the questions rows ask.
pub trait Judge {
    /// Judges a household's village.
    fn village(&self, code: &RegionCode) -> VillageCheck;
    /// Judges the person a row names.
    fn person(&self, id: &IdCardNo) -> PersonCheck;
}

/// A judge of villages by a function (persons are all listed).
pub struct ByVillage<'a>(pub &'a dyn Fn(&RegionCode) -> VillageCheck);

impl Judge for ByVillage<'_> {
    fn village(&self, code: &RegionCode) -> VillageCheck {
        (self.0)(code)
    }
    fn person(&self, _: &IdCardNo) -> PersonCheck {
        PersonCheck::Listed
    }
}

/// A judge of persons by a function (villages are all fine).
pub struct ByPerson<'a>(pub &'a dyn Fn(&IdCardNo) -> PersonCheck);

impl Judge for ByPerson<'_> {
    fn village(&self, _: &RegionCode) -> VillageCheck {
        VillageCheck::Ok
    }
    fn person(&self, id: &IdCardNo) -> PersonCheck {
        (self.0)(id)
    }
}

/// A kind of import file.
pub trait ImportKind: 'static {
    /// The domain record a row becomes.
    type Record: Send + 'static;
    /// The fields of a row as far as they parsed (`None` where a cell was
    /// missing or wrong); one value is reused from row to row.
    type Fields: Default;
    /// The cross-row checks of one file.
    type Check: CrossCheck<Self::Fields>;

    /// Which of [`FileKind`] this is.
    const KIND: FileKind;
    /// Names, columns and template note.
    const SPEC: KindSpec;
    /// The question each row asks of the jurisdiction.
    const QUESTION: Question;
    /// The column (an index into the columns) holding what the question
    /// is about: problems with the answer are reported there.
    const SUBJECT_COLUMN: usize;
    /// The problem and code of a row naming a person the registry lacks.
    const NOT_LISTED: (&'static str, &'static str) = (
        "台账中没有这个身份证号的人员；请先导入该人员的人员信息，或核对号码",
        "unknown_person",
    );

    /// Parses one row into `fields` (overwriting it), recording every
    /// problem of the row in `cells`.
    fn parse(cells: &mut Cells<'_>, fields: &mut Self::Fields);
    /// The record, when every field parsed.
    fn record(fields: Self::Fields) -> Option<Self::Record>;
    /// What the row asks about, when that cell parsed.
    fn subject(fields: &Self::Fields) -> Option<Subject>;
    /// What a record asks about (the write pass asks again).
    fn record_subject(record: &Self::Record) -> Subject;
    /// A new check of the file named `file` in the report, sized for
    /// about `rows` rows.
    fn check(file: Arc<str>, rows: usize) -> Self::Check;
}

/// The cross-row checks of one file, fed row by row: they report
/// problems to the sink as soon as they are known and keep compact state.
pub trait CrossCheck<F> {
    /// Takes one row: its number, parsed fields and the problems found
    /// so far (the row's own and the jurisdiction's answer). Every problem
    /// goes to `sink`; an error rejects the row.
    fn feed(&mut self, row: u32, fields: &F, errors: Vec<RowError>, sink: &mut dyn ReportSink);
    /// Ends the check: the problems only the whole file shows, and what
    /// the write pass must know.
    fn finish(self, sink: &mut dyn ReportSink) -> CheckSummary;
}

/// What a cross-row check found.
#[derive(Debug, Clone, Default)]
pub struct CheckSummary {
    /// Rows not to import.
    pub rejected: RowSet,
    /// Accepted rows to write after all others.
    pub deferred: RowSet,
    /// Distinct households (persons files).
    pub households: u64,
    /// Households rejected as a whole (persons files).
    pub households_rejected: u64,
}

/// The report row of a row whose subject lies outside the importer's
/// jurisdiction; the same in the check pass and the write pass.
pub fn outside_jurisdiction<K: ImportKind>(
    file: &Arc<str>,
    row: u32,
    subject: Subject,
) -> RowError {
    let problem = match subject {
        Subject::Village(_) => OUTSIDE_JURISDICTION_VILLAGE,
        Subject::Person(_) => OUTSIDE_JURISDICTION_PERSON,
    };
    subject_error::<K>(file, row, subject, problem.into(), "outside_jurisdiction")
}

fn subject_error<K: ImportKind>(
    file: &Arc<str>,
    row: u32,
    subject: Subject,
    problem: String,
    code: &'static str,
) -> RowError {
    let def = &K::SPEC.columns[K::SUBJECT_COLUMN];
    RowError {
        file: file.clone(),
        row,
        column: Cow::Borrowed(def.header),
        value: report_value(def.kind, subject.as_str()),
        problem,
        code,
        severity: Severity::Error,
    }
}

/// An answer of the judge.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Village(VillageCheck),
    Person(PersonCheck),
}

/// Answers kept per subject, at most this many (the villages of a file
/// all fit; the persons of a large claims file need not).
const KEEP_ANSWERS: usize = 1 << 16;

/// The judge's answers during one check pass, asked once per subject (and
/// the previous row's answer again without a lookup: rows of a village,
/// or of a person, come together).
pub(crate) struct Answers<'j> {
    judge: &'j dyn Judge,
    last: Option<(Subject, Answer)>,
    kept: FastMap<Subject, Answer>,
}

impl<'j> Answers<'j> {
    pub fn new(judge: &'j dyn Judge) -> Self {
        Answers {
            judge,
            last: None,
            kept: FastMap::default(),
        }
    }

    fn ask(&mut self, subject: Subject) -> Answer {
        if let Some((s, a)) = self.last
            && s == subject
        {
            return a;
        }
        let answer = match self.kept.get(&subject) {
            Some(&a) => a,
            None => {
                let a = match &subject {
                    Subject::Village(c) => Answer::Village(self.judge.village(c)),
                    Subject::Person(id) => Answer::Person(self.judge.person(id)),
                };
                if self.kept.len() < KEEP_ANSWERS {
                    self.kept.insert(subject, a);
                }
                a
            }
        };
        self.last = Some((subject, answer));
        answer
    }

    /// The problem the judge's answer about `subject` makes for `row`.
    pub fn problem<K: ImportKind>(
        &mut self,
        subject: Subject,
        file: &Arc<str>,
        row: u32,
    ) -> Option<RowError> {
        let (problem, code, severity) = match self.ask(subject) {
            Answer::Village(VillageCheck::OutsideJurisdiction)
            | Answer::Person(PersonCheck::OutsideJurisdiction) => {
                return Some(outside_jurisdiction::<K>(file, row, subject));
            }
            Answer::Village(v) => village_problem(v, subject.as_str())?,
            Answer::Person(PersonCheck::NotListed) => {
                let (problem, code) = K::NOT_LISTED;
                (problem.to_string(), code, Severity::Error)
            }
            Answer::Person(PersonCheck::Listed) => return None,
        };
        let mut e = subject_error::<K>(file, row, subject, problem, code);
        e.severity = severity;
        Some(e)
    }
}

/// What the region tree's answer about a village code says.
fn village_problem(check: VillageCheck, code: &str) -> Option<(String, &'static str, Severity)> {
    let (problem, name, severity) = match check {
        VillageCheck::Ok | VillageCheck::OutsideJurisdiction => return None,
        VillageCheck::Unlisted => (
            format!(
                "行政区划代码“{code}”不在当前区划库（2023年版）中，但所属乡镇存在，可能是已撤并或更名的村；已按原代码导入，请核实后更新"
            ),
            "village_not_in_edition",
            Severity::Warning,
        ),
        VillageCheck::NotFound => (
            format!("行政区划代码“{code}”在区划库中不存在；请核对户籍所在村的12位统计用区划代码"),
            "unknown_village",
            Severity::Error,
        ),
        VillageCheck::NotAVillage => (
            format!(
                "行政区划代码“{code}”是乡镇或更高一级的代码，不是村级代码；请填写户籍所在村（居委会）的代码"
            ),
            "not_a_village",
            Severity::Error,
        ),
    };
    Some((problem, name, severity))
}
