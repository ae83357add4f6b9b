//! The persons (人员) file: one row per person, the household's fields
//! repeated on each member's row. Its columns, its row parser, and its
//! cross-row checks (duplicate ID numbers; per household: one head, the
//! same village, type and income on every row). Each row asks whether its
//! household's village is inside the importer's jurisdiction.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use jianfu_domain::{
    GroupSet, HouseholdRecord, HouseholdType, IdCardNo, Money, MoneyError, PersonRecord,
    PersonStatus, RegionCode, RegionLevel, Relation,
};

use crate::ImportOptions;
use crate::check::{CheckOutcome, VillageCheck, check_file};
use crate::columns::{ColumnDef, FileKind, ValueKind};
use crate::error::FileError;
use crate::fields::{Cells, Got, report_value, short};
use crate::kind::{ByVillage, ImportKind, KindSpec, Question, Subject};
use crate::reader::ImportReader;
use crate::report::ReportSink;
use crate::table::Progress;

mod check;

pub use check::PersonsCheck;

/// Indices into [`PERSON_COLUMNS`].
pub mod col {
    /// 户编号
    pub const HOUSEHOLD_ID: usize = 0;
    /// 行政区划代码
    pub const VILLAGE_CODE: usize = 1;
    /// 户类别
    pub const HOUSEHOLD_TYPE: usize = 2;
    /// 家庭年人均纯收入
    pub const INCOME: usize = 3;
    /// 姓名
    pub const NAME: usize = 4;
    /// 身份证号
    pub const ID_NUMBER: usize = 5;
    /// 与户主关系
    pub const RELATION: usize = 6;
    /// 人员类别
    pub const GROUPS: usize = 7;
    /// 联系电话
    pub const PHONE: usize = 8;
    /// 人员状态
    pub const STATUS: usize = 9;
}

/// The persons (人员) file, as in `data-formats.md`.
pub const PERSON_COLUMNS: [ColumnDef; 10] = [
    ColumnDef {
        header: "户编号",
        alias: "household_id",
        required: true,
        kind: ValueKind::HouseholdNo,
        description: "报送单位的户编号；同一户的每个成员一行，户编号相同",
        example: "130624100200001",
        width: 18.0,
    },
    ColumnDef {
        header: "行政区划代码",
        alias: "village_code",
        required: true,
        kind: ValueKind::VillageCode,
        description: "户籍所在村的12位统计用区划代码；同一户各行相同",
        example: "130624102201",
        width: 15.0,
    },
    ColumnDef {
        header: "户类别",
        alias: "household_type",
        required: true,
        kind: ValueKind::HouseholdType,
        description: "户的类别；同一户各行相同",
        example: "脱贫不稳定户",
        width: 14.0,
    },
    ColumnDef {
        header: "家庭年人均纯收入",
        alias: "income_per_capita",
        required: false,
        kind: ValueKind::Money,
        description: "家庭年人均纯收入（元）；同一户各行相同",
        example: "10230.76",
        width: 16.0,
    },
    ColumnDef {
        header: "姓名",
        alias: "name",
        required: true,
        kind: ValueKind::Name,
        description: "成员姓名",
        example: "张三",
        width: 10.0,
    },
    ColumnDef {
        header: "身份证号",
        alias: "id_number",
        required: true,
        kind: ValueKind::IdNumber,
        description: "成员的公民身份号码；请将本列设置为“文本”格式，否则 Excel 会把号码变成 1.30624E+17",
        example: "11010519491231002X",
        width: 21.0,
    },
    ColumnDef {
        header: "与户主关系",
        alias: "relation",
        required: true,
        kind: ValueKind::Relation,
        description: "成员与户主的关系；每户有且只有一个户主",
        example: "户主",
        width: 11.0,
    },
    ColumnDef {
        header: "人员类别",
        alias: "groups",
        required: false,
        kind: ValueKind::Groups,
        description: "成员本人的人员类别（脱贫人口、监测对象由户类别决定，不必填写）",
        example: "低保|因病致贫重病患者",
        width: 22.0,
    },
    ColumnDef {
        header: "联系电话",
        alias: "phone",
        required: false,
        kind: ValueKind::Phone,
        description: "联系电话",
        example: "13800000000",
        width: 14.0,
    },
    ColumnDef {
        header: "人员状态",
        alias: "status",
        required: false,
        kind: ValueKind::Status,
        description: "成员状态",
        example: "正常",
        width: 10.0,
    },
];

/// The persons template's extra note.
const TEMPLATE_NOTE: &str = "5. 每人一行；同一户的成员户编号、行政区划代码、户类别和家庭年人均纯收入应相同，且每户有且只有一个户主。";

/// The persons kind.
#[derive(Debug, Clone, Copy)]
pub struct Persons;

impl ImportKind for Persons {
    type Record = PersonRecord;
    type Fields = PersonRow;
    type Check = PersonsCheck;

    const KIND: FileKind = FileKind::Persons;
    const SPEC: KindSpec = KindSpec {
        name: "persons",
        label: "人员",
        columns: &PERSON_COLUMNS,
        template_note: Some(TEMPLATE_NOTE),
    };
    const QUESTION: Question = Question::Village;
    const SUBJECT_COLUMN: usize = col::VILLAGE_CODE;

    fn parse(cells: &mut Cells<'_>, p: &mut PersonRow) {
        parse_person(cells, p);
    }

    fn record(fields: PersonRow) -> Option<PersonRecord> {
        fields.into_record()
    }

    fn subject(p: &PersonRow) -> Option<Subject> {
        p.village.map(Subject::Village)
    }

    fn record_subject(p: &PersonRecord) -> Subject {
        Subject::Village(p.household.village)
    }

    fn check(file: Arc<str>, rows: usize) -> PersonsCheck {
        PersonsCheck::with_capacity(file, rows)
    }
}

/// Reads a persons file row by row.
pub type PersonsReader = ImportReader<Persons>;

/// First pass over a persons file, judging each village with
/// `village_check` (see [`check_file`]).
pub fn check_persons_file(
    path: &Path,
    opts: &ImportOptions,
    village_check: &dyn Fn(&RegionCode) -> VillageCheck,
    sink: &mut dyn ReportSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckOutcome, FileError> {
    check_file::<Persons>(path, opts, &ByVillage(village_check), sink, progress)
}

/// The fields of a persons row that could be parsed; `None` where the cell
/// was missing or wrong (the row's errors say why). For optional columns
/// an empty cell is `Some` of the default (`Some(None)` for income and
/// phone, the empty set for groups, 正常 for status).
///
/// Its `Debug` output masks the name and phone number (the ID number masks
/// itself), so a row can be logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PersonRow {
    /// 户编号
    pub household_no: Option<String>,
    /// 行政区划代码 (a village-level code).
    pub village: Option<RegionCode>,
    /// 户类别
    pub household_type: Option<HouseholdType>,
    /// 家庭年人均纯收入: `Some(None)` when left empty.
    pub income: Option<Option<Money>>,
    /// 姓名
    pub name: Option<String>,
    /// 身份证号
    pub id: Option<IdCardNo>,
    /// 与户主关系
    pub relation: Option<Relation>,
    /// 人员类别
    pub groups: Option<GroupSet>,
    /// 联系电话 (digits): `Some(None)` when left empty.
    pub phone: Option<Option<String>>,
    /// 人员状态
    pub status: Option<PersonStatus>,
}

impl fmt::Debug for PersonRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self
            .name
            .as_deref()
            .map(|n| report_value(ValueKind::Name, n));
        let phone = self
            .phone
            .as_ref()
            .map(|p| p.as_deref().map(|p| report_value(ValueKind::Phone, p)));
        f.debug_struct("PersonRow")
            .field("household_no", &self.household_no)
            .field("village", &self.village)
            .field("household_type", &self.household_type)
            .field("income", &self.income)
            .field("name", &name)
            .field("id", &self.id)
            .field("relation", &self.relation)
            .field("groups", &self.groups)
            .field("phone", &phone)
            .field("status", &self.status)
            .finish()
    }
}

impl PersonRow {
    /// The record, when every field parsed.
    pub fn into_record(self) -> Option<PersonRecord> {
        Some(PersonRecord {
            household: HouseholdRecord {
                household_no: self.household_no?,
                village: self.village?,
                household_type: self.household_type?,
                income_per_capita: self.income?,
            },
            name: self.name?,
            id: self.id?,
            relation: self.relation?,
            groups: self.groups?,
            phone: self.phone?,
            status: self.status?,
        })
    }
}

/// Stores `v` in `slot`, reusing the string already there.
fn set_text(slot: &mut Option<String>, v: &str) {
    match slot {
        Some(s) => {
            s.clear();
            s.push_str(v);
        }
        None => *slot = Some(v.to_string()),
    }
}

/// Parses one row into `p`, reusing its strings (the allocation-light
/// form for reading many rows).
fn parse_person(cells: &mut Cells<'_>, p: &mut PersonRow) {
    let mut household_no = p.household_no.take();
    let mut name = p.name.take();
    *p = PersonRow::default();
    if let Got::Value(v) = cells.text(col::HOUSEHOLD_ID) {
        set_text(&mut household_no, &v);
        p.household_no = household_no;
    }
    p.village = village(cells);
    p.household_type = cells
        .code(
            col::HOUSEHOLD_TYPE,
            HouseholdType::parse,
            |e| e.allowed.to_string(),
            "unknown_household_type",
        )
        .value();
    p.income = income(cells);
    if let Got::Value(v) = cells.text(col::NAME) {
        set_text(&mut name, &v);
        p.name = name;
    }
    p.id = cells.id_number(col::ID_NUMBER);
    p.relation = cells
        .code(
            col::RELATION,
            Relation::parse,
            |e| e.allowed.to_string(),
            "unknown_relation",
        )
        .value();
    let groups = || ValueKind::Groups.choices().join("、");
    p.groups = cells
        .groups(col::GROUPS, groups, "")
        .or_default(GroupSet::EMPTY);
    p.phone = phone(cells);
    p.status = cells
        .code(
            col::STATUS,
            PersonStatus::parse,
            |e| format!("{}（不填为正常）", e.allowed),
            "unknown_status",
        )
        .or_default(PersonStatus::Active);
}

/// 行政区划代码: a 12-digit village-level code.
fn village(cells: &mut Cells<'_>) -> Option<RegionCode> {
    let v = cells.text(col::VILLAGE_CODE).value()?;
    let (problem, code) = match RegionCode::parse(&v) {
        Ok(code) if code.level() == RegionLevel::Village => return Some(code),
        Ok(code) => (
            format!(
                "行政区划代码“{}”是{}级代码，不是村级代码；请填写户籍所在村（居委会）的12位代码",
                short(&v),
                code.level().label()
            ),
            "not_a_village",
        ),
        Err(_) => (
            format!(
                "行政区划代码“{}”不正确，应为12位数字的村级统计用区划代码，如 130624102201",
                short(&v)
            ),
            "bad_region_code",
        ),
    };
    cells.error(col::VILLAGE_CODE, &v, problem, code);
    None
}

/// 家庭年人均纯收入: yuan, not negative; `Some(None)` when empty.
fn income(cells: &mut Cells<'_>) -> Option<Option<Money>> {
    let v = match cells.text(col::INCOME) {
        Got::Value(v) => v,
        Got::Empty => return Some(None),
        Got::Bad => return None,
    };
    let why = match Money::from_yuan_str_non_negative(&v) {
        Ok(m) => return Some(Some(m)),
        Err(MoneyError::TooManyDecimals { .. }) => "小数超过2位",
        Err(MoneyError::Negative(_)) => "不能为负数",
        Err(MoneyError::OutOfRange(_)) => "数额超出范围",
        Err(MoneyError::Empty | MoneyError::NotANumber(_)) => "不是数字",
    };
    let problem = format!(
        "家庭年人均纯收入“{}”{}；请填写以元为单位的金额，最多2位小数，不带千分位逗号和“元”字，如 10230.76",
        short(&v),
        why
    );
    cells.error(col::INCOME, &v, problem, "bad_money");
    None
}

/// 联系电话: digits; `Some(None)` when empty.
fn phone(cells: &mut Cells<'_>) -> Option<Option<String>> {
    let v = match cells.text(col::PHONE) {
        Got::Value(v) => v,
        Got::Empty => return Some(None),
        Got::Bad => return None,
    };
    if let Some(digits) = parse_phone(&v) {
        return Some(Some(digits));
    }
    let problem = "联系电话应只含数字：手机号11位，固定电话7-12位（可带区号和“-”）；请核对".into();
    cells.error(col::PHONE, &v, problem, "bad_phone");
    None
}

/// Digits of a phone number: `+86`/`0086` prefixes, `-` and spaces are
/// dropped; 7 to 12 digits remain.
pub fn parse_phone(s: &str) -> Option<String> {
    let s = s
        .strip_prefix("+86")
        .or_else(|| s.strip_prefix("0086"))
        .unwrap_or(s);
    let mut digits = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '-' | ' ' => {}
            _ => return None,
        }
    }
    (7..=12).contains(&digits.len()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn debug_output_masks_personal_data() {
        let p = PersonRow {
            name: Some("孙文华".into()),
            phone: Some(Some("13944633904".into())),
            id: IdCardNo::parse_as_of(
                "130624196603233058",
                NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            )
            .ok(),
            ..PersonRow::default()
        };
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("孙文华") && !shown.contains("13944633904"),
            "{shown}"
        );
        assert!(!shown.contains("130624196603233058"), "{shown}");
        assert!(
            shown.contains("孙**") && shown.contains("139446*3904"),
            "{shown}"
        );
    }

    #[test]
    fn phones() {
        assert_eq!(parse_phone("13944633904").as_deref(), Some("13944633904"));
        assert_eq!(
            parse_phone("+8613944633904").as_deref(),
            Some("13944633904")
        );
        assert_eq!(parse_phone("0312-7221234").as_deref(), Some("03127221234"));
        assert_eq!(parse_phone("139446339041234"), None);
        assert_eq!(parse_phone("12345"), None);
        assert_eq!(parse_phone("1394463390x"), None);
    }
}
