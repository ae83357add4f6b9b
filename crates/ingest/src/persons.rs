//! Rows of the persons (人员) file.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use jianfu_domain::{
    GroupSet, HouseholdRecord, HouseholdType, IdCardNo, Money, MoneyError, PersonRecord,
    PersonStatus, RegionCode, RegionLevel, Relation,
};

use crate::ImportOptions;
use crate::check::CheckOutcome;
use crate::columns::{ColumnMap, FileKind, PERSON_COLUMNS, ValueKind, person};
use crate::error::FileError;
use crate::fields::{Field, ImportReader, RowCtx, report_value, short};
use crate::report::{RowError, Severity};
use crate::table::{Progress, Row};

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

/// Parses one row of a persons file, collecting every problem of the row.
pub fn parse_person_row(
    row: &Row,
    map: &ColumnMap,
    file: &Arc<str>,
    today: NaiveDate,
) -> (PersonRow, Vec<RowError>) {
    let mut p = PersonRow::default();
    let errors = parse_person_row_into(row, map, file, today, &mut p);
    (p, errors)
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

/// As [`parse_person_row`], overwriting `p` and reusing its strings (the
/// allocation-light form for reading many rows).
pub fn parse_person_row_into(
    row: &Row,
    map: &ColumnMap,
    file: &Arc<str>,
    today: NaiveDate,
    p: &mut PersonRow,
) -> Vec<RowError> {
    let cols = &PERSON_COLUMNS;
    let mut ctx = RowCtx::new(file, row.number());
    let cell = |i: usize| row.get(map.position(i));
    let mut household_no = p.household_no.take();
    let mut name = p.name.take();
    *p = PersonRow::default();

    if let Field::Value(v) = ctx.text(&cols[person::HOUSEHOLD_ID], cell(person::HOUSEHOLD_ID)) {
        set_text(&mut household_no, &v);
        p.household_no = household_no;
    }

    let def = &cols[person::VILLAGE_CODE];
    if let Field::Value(v) = ctx.text(def, cell(person::VILLAGE_CODE)) {
        match RegionCode::parse(&v) {
            Ok(code) if code.level() == RegionLevel::Village => p.village = Some(code),
            Ok(code) => ctx.error(
                def,
                &v,
                format!(
                    "行政区划代码“{}”是{}级代码，不是村级代码；请填写户籍所在村（居委会）的12位代码",
                    short(&v),
                    code.level().label()
                ),
                "not_a_village",
            ),
            Err(_) => ctx.error(
                def,
                &v,
                format!(
                    "行政区划代码“{}”不正确，应为12位数字的村级统计用区划代码，如 130624102201",
                    short(&v)
                ),
                "bad_region_code",
            ),
        }
    }

    let def = &cols[person::HOUSEHOLD_TYPE];
    if let Field::Value(v) = ctx.text(def, cell(person::HOUSEHOLD_TYPE)) {
        match HouseholdType::parse(&v) {
            Ok(t) => p.household_type = Some(t),
            Err(e) => ctx.error(
                def,
                &v,
                format!("“{}”不是有效的户类别，请填写：{}", short(&v), e.allowed),
                "unknown_household_type",
            ),
        }
    }

    let def = &cols[person::INCOME];
    match ctx.text(def, cell(person::INCOME)) {
        Field::Value(v) => match Money::from_yuan_str_non_negative(&v) {
            Ok(m) => p.income = Some(Some(m)),
            Err(e) => {
                let why = match e {
                    MoneyError::TooManyDecimals { .. } => "小数超过2位",
                    MoneyError::Negative(_) => "不能为负数",
                    MoneyError::OutOfRange(_) => "数额超出范围",
                    MoneyError::Empty | MoneyError::NotANumber(_) => "不是数字",
                };
                ctx.error(
                    def,
                    &v,
                    format!(
                        "家庭年人均纯收入“{}”{}；请填写以元为单位的金额，最多2位小数，不带千分位逗号和“元”字，如 10230.76",
                        short(&v),
                        why
                    ),
                    "bad_money",
                );
            }
        },
        Field::Empty => p.income = Some(None),
        Field::Bad => {}
    }

    if let Field::Value(v) = ctx.text(&cols[person::NAME], cell(person::NAME)) {
        set_text(&mut name, &v);
        p.name = name;
    }

    p.id = ctx.id_number(&cols[person::ID_NUMBER], cell(person::ID_NUMBER), today);

    let def = &cols[person::RELATION];
    if let Field::Value(v) = ctx.text(def, cell(person::RELATION)) {
        match Relation::parse(&v) {
            Ok(r) => p.relation = Some(r),
            Err(e) => ctx.error(
                def,
                &v,
                format!("“{}”不是有效的与户主关系，请填写：{}", short(&v), e.allowed),
                "unknown_relation",
            ),
        }
    }

    let def = &cols[person::GROUPS];
    match ctx.text(def, cell(person::GROUPS)) {
        Field::Value(v) => match GroupSet::parse_list(&v) {
            Ok(g) => p.groups = Some(g),
            Err(e) => ctx.error(
                def,
                &v,
                format!(
                    "人员类别“{}”不是有效的类别，可填：{}（多个用“、”或“|”分隔）",
                    short(&e.value),
                    crate::columns::ValueKind::Groups.choices().join("、")
                ),
                "unknown_group",
            ),
        },
        Field::Empty => p.groups = Some(GroupSet::EMPTY),
        Field::Bad => {}
    }

    let def = &cols[person::PHONE];
    match ctx.text(def, cell(person::PHONE)) {
        Field::Value(v) => match parse_phone(&v) {
            Some(digits) => p.phone = Some(Some(digits)),
            None => ctx.error(
                def,
                &v,
                "联系电话应只含数字：手机号11位，固定电话7-12位（可带区号和“-”）；请核对".into(),
                "bad_phone",
            ),
        },
        Field::Empty => p.phone = Some(None),
        Field::Bad => {}
    }

    let def = &cols[person::STATUS];
    match ctx.text(def, cell(person::STATUS)) {
        Field::Value(v) => match PersonStatus::parse(&v) {
            Ok(s) => p.status = Some(s),
            Err(e) => ctx.error(
                def,
                &v,
                format!(
                    "“{}”不是有效的人员状态，请填写：{}（不填为正常）",
                    short(&v),
                    e.allowed
                ),
                "unknown_status",
            ),
        },
        Field::Empty => p.status = Some(PersonStatus::Active),
        Field::Bad => {}
    }

    ctx.errors
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

/// A row as a record, or all its problems.
pub type PersonResult = Result<PersonRecord, Vec<RowError>>;

/// Parses one row of a persons file into a record or all its problems.
/// Warnings (such as `id_maybe_rounded`) do not make the row fail.
pub fn parse_person(
    row: &Row,
    map: &ColumnMap,
    file: &Arc<str>,
    today: NaiveDate,
) -> Result<PersonRecord, Vec<RowError>> {
    let (p, errors) = parse_person_row(row, map, file, today);
    if errors.iter().any(|e| e.severity == Severity::Error) {
        return Err(errors);
    }
    p.into_record().ok_or_else(|| {
        vec![RowError {
            file: file.clone(),
            row: row.number(),
            column: "".into(),
            value: String::new(),
            problem: "本行数据不完整".into(),
            code: "incomplete_row",
            severity: Severity::Error,
        }]
    })
}

/// Reads a persons file row by row (the second pass of an import, or any
/// caller that wants the records).
pub struct PersonsReader {
    inner: ImportReader,
}

impl PersonsReader {
    /// Opens a persons file and reads its header.
    pub fn open(path: &Path, opts: &ImportOptions) -> Result<Self, FileError> {
        Ok(PersonsReader {
            inner: ImportReader::open(path, opts, FileKind::Persons)?,
        })
    }

    /// Opens the file checked by `outcome`, refusing it if it has changed
    /// since.
    pub fn open_checked(
        path: &Path,
        opts: &ImportOptions,
        outcome: &CheckOutcome,
    ) -> Result<Self, FileError> {
        Ok(PersonsReader {
            inner: ImportReader::open_checked(path, opts, FileKind::Persons, outcome.fingerprint)?,
        })
    }

    /// Warnings about the header (unknown columns).
    pub fn header_warnings(&self) -> &[RowError] {
        &self.inner.warnings
    }

    /// Where the columns are.
    pub fn columns(&self) -> &ColumnMap {
        &self.inner.map
    }

    /// The file's name in the report.
    pub fn file(&self) -> &Arc<str> {
        &self.inner.file
    }

    /// The next row's number, parsed fields and problems.
    pub fn next_parts(&mut self) -> Result<Option<(u32, PersonRow, Vec<RowError>)>, FileError> {
        let inner = &mut self.inner;
        match inner.table.next_row()? {
            None => Ok(None),
            Some(row) => {
                let (p, errors) = parse_person_row(row, &inner.map, &inner.file, inner.today);
                Ok(Some((row.number(), p, errors)))
            }
        }
    }

    /// As [`PersonsReader::next_parts`], parsing into `p` (reusing its
    /// strings); returns the row number and problems.
    pub fn next_parts_into(
        &mut self,
        p: &mut PersonRow,
    ) -> Result<Option<(u32, Vec<RowError>)>, FileError> {
        let inner = &mut self.inner;
        match inner.table.next_row()? {
            None => Ok(None),
            Some(row) => {
                let errors = parse_person_row_into(row, &inner.map, &inner.file, inner.today, p);
                Ok(Some((row.number(), errors)))
            }
        }
    }

    /// The next row as a record or its problems.
    pub fn next_person(&mut self) -> Result<Option<(u32, PersonResult)>, FileError> {
        let inner = &mut self.inner;
        match inner.table.next_row()? {
            None => Ok(None),
            Some(row) => Ok(Some((
                row.number(),
                parse_person(row, &inner.map, &inner.file, inner.today),
            ))),
        }
    }

    /// The next row that `outcome` accepted, as a record; rejected rows
    /// are skipped unparsed. A row the check accepted that no longer
    /// parses means the file has changed.
    pub fn next_accepted(
        &mut self,
        outcome: &CheckOutcome,
    ) -> Result<Option<(u32, PersonRecord)>, FileError> {
        self.inner.next_accepted(outcome, parse_person)
    }

    /// How far reading has got.
    pub fn progress(&self) -> Progress {
        self.inner.progress()
    }

    /// Size and modification time of the file when it was opened.
    pub fn fingerprint(&self) -> crate::table::FileFingerprint {
        self.inner.table.fingerprint()
    }
}

impl Iterator for PersonsReader {
    type Item = Result<(u32, PersonResult), FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_person().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
