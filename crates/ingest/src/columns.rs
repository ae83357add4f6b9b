//! Columns of import files: what a column holds ([`ValueKind`], with how
//! it is shown and masked), its definition ([`ColumnDef`]), header
//! matching ([`ColumnMap`]) and the documentation table. Each kind's own
//! table of columns lives in its module and is re-exported here.

use std::sync::Arc;

use jianfu_domain::{
    ClaimKind, FacilityLevel, Group, HouseholdType, PersonStatus, PushSource, Relation,
};

use crate::claims::Claims;
use crate::diagnoses::Diagnoses;
use crate::error::FileError;
use crate::kind::{ImportKind, KindSpec};
use crate::normalize::normalize_text;
use crate::persons::Persons;
use crate::pushes::Pushes;
use crate::report::{RowError, Severity};

/// What a column holds; decides how a cell is normalised, validated and
/// masked in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Free text (disease name, facility).
    Text,
    /// A person's name: personal data, masked in the report.
    Name,
    /// 户编号: an identifier that may be all digits.
    HouseholdNo,
    /// 12-digit village code.
    VillageCode,
    /// 户类别 code list.
    HouseholdType,
    /// Yuan with at most 2 decimals.
    Money,
    /// 身份证号: personal data, masked in the report.
    IdNumber,
    /// 与户主关系 code list.
    Relation,
    /// 人员类别: several values of the group code list.
    Groups,
    /// Phone number: personal data, masked in the report.
    Phone,
    /// 人员状态 code list.
    Status,
    /// ICD-10 code.
    Icd10,
    /// A calendar date.
    Date,
    /// A date with a time of day (结算时间).
    DateTime,
    /// An identifier such as 结算单号 or 医疗机构编码 (may be all digits).
    Identifier,
    /// 就诊类型 code list.
    ClaimKind,
    /// 医疗机构级别 code list.
    FacilityLevel,
    /// Yes or no (是/否, true/false, 1/0, Y/N).
    Flag,
    /// 推送部门 code list.
    PushSource,
}

impl ValueKind {
    /// True for identifier columns whose inner spaces are dropped and that
    /// the templates format as text so Excel keeps every digit.
    pub fn is_identifier(self) -> bool {
        matches!(
            self,
            ValueKind::HouseholdNo
                | ValueKind::VillageCode
                | ValueKind::IdNumber
                | ValueKind::Phone
                | ValueKind::Icd10
                | ValueKind::Identifier
        )
    }

    /// True for personal data masked in the report.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            ValueKind::Name | ValueKind::IdNumber | ValueKind::Phone
        )
    }

    /// The values a dropdown offers (Chinese labels), for code lists.
    pub fn choices(self) -> Vec<&'static str> {
        match self {
            ValueKind::HouseholdType => HouseholdType::ALL.iter().map(|v| v.label()).collect(),
            ValueKind::Relation => Relation::ALL.iter().map(|v| v.label()).collect(),
            ValueKind::Status => PersonStatus::ALL.iter().map(|v| v.label()).collect(),
            ValueKind::Groups => RECORDED_GROUPS.iter().map(|v| v.label()).collect(),
            ValueKind::ClaimKind => ClaimKind::ALL.iter().map(|v| v.label()).collect(),
            ValueKind::FacilityLevel => FacilityLevel::ALL.iter().map(|v| v.label()).collect(),
            ValueKind::PushSource => PushSource::ALL.iter().map(|v| v.label()).collect(),
            ValueKind::Flag => vec!["是", "否"],
            _ => Vec::new(),
        }
    }
}

/// The groups recorded per person; 脱贫人口 and 监测对象 follow from the
/// household type.
pub const RECORDED_GROUPS: [Group; 5] = [
    Group::ExtremePoor,
    Group::Subsistence,
    Group::ReturnedPoor,
    Group::SubsistenceEdge,
    Group::IllnessPoor,
];

fn label_code_list<T: Copy>(
    all: &[T],
    label: fn(T) -> &'static str,
    code: fn(T) -> &'static str,
) -> String {
    all.iter()
        .map(|&v| format!("{} {}", label(v), code(v)))
        .collect::<Vec<_>>()
        .join("、")
}

/// One column of an import file.
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    /// Chinese header, as written in the templates.
    pub header: &'static str,
    /// English alias, accepted as header as well; also the column id.
    pub alias: &'static str,
    /// Whether every row must fill it.
    pub required: bool,
    /// What it holds.
    pub kind: ValueKind,
    /// What it means, for the template's instructions.
    pub description: &'static str,
    /// An example value.
    pub example: &'static str,
    /// Width in the template, in characters.
    pub width: f64,
}

impl ColumnDef {
    /// The accepted values in words, for templates and documentation.
    pub fn allowed_values(&self) -> String {
        match self.kind {
            ValueKind::HouseholdType => label_code_list(
                HouseholdType::ALL,
                HouseholdType::label,
                HouseholdType::code,
            ),
            ValueKind::Relation => label_code_list(Relation::ALL, Relation::label, Relation::code),
            ValueKind::Status => {
                label_code_list(PersonStatus::ALL, PersonStatus::label, PersonStatus::code)
                    + "；不填为正常"
            }
            ValueKind::Groups => {
                label_code_list(&RECORDED_GROUPS, Group::label, Group::code)
                    + "；可填多个，用“、”“,”或“|”分隔；可不填"
            }
            ValueKind::Text => "文字".into(),
            ValueKind::Name => "文字（与身份证一致）".into(),
            ValueKind::HouseholdNo => "文字或数字，同一户各行相同，不同户不同".into(),
            ValueKind::VillageCode => "12位村级统计用区划代码".into(),
            ValueKind::Money => "元，最多2位小数，如 10230.76".into(),
            ValueKind::IdNumber => "18位公民身份号码（末位可为X；15位旧号自动升位）".into(),
            ValueKind::Phone => "数字，手机11位或带区号的固定电话".into(),
            ValueKind::Icd10 => "ICD-10编码，如 I10、C16.9，可用国家临床版扩展码如 I10.x00".into(),
            ValueKind::Date => "日期，如 2023-04-30、2023/4/30、20230430、2023年4月30日".into(),
            ValueKind::DateTime => {
                "日期和时间，如 2023-03-01 10:00:00、2023-03-01T10:00:00、2023/3/1 10:00；只填日期视为当天0点".into()
            }
            ValueKind::Identifier => "文字或数字".into(),
            ValueKind::ClaimKind => {
                label_code_list(ClaimKind::ALL, ClaimKind::label, ClaimKind::code)
            }
            ValueKind::FacilityLevel => {
                label_code_list(FacilityLevel::ALL, FacilityLevel::label, FacilityLevel::code)
            }
            ValueKind::Flag => "是/否（也可填 true/false、1/0、Y/N）".into(),
            ValueKind::PushSource => {
                label_code_list(PushSource::ALL, PushSource::label, PushSource::code)
            }
        }
    }
}

/// The kinds of import file this crate reads. Each is a module
/// implementing [`crate::ImportKind`]; this enum names them for callers
/// that choose one at run time (the command line, the web's upload form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// 人员: one row per person, household fields repeated.
    Persons,
    /// 诊断: one row per diagnosis of a registered person.
    Diagnoses,
    /// 医保结算记录: one row per claim or reversal of a registered person.
    Claims,
    /// 部门推送预警名单: one row per pre-warning another department pushed
    /// about a registered person.
    Pushes,
}

impl FileKind {
    /// Every kind, in the order forms and menus list them.
    pub const ALL: [FileKind; 4] = [
        FileKind::Persons,
        FileKind::Diagnoses,
        FileKind::Claims,
        FileKind::Pushes,
    ];

    /// The kind named `name` (`persons`, `diagnoses`, `claims`, `pushes`).
    pub fn from_name(name: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What names and describes the kind: the one place a kind is tied to
    /// its module.
    pub fn spec(self) -> &'static KindSpec {
        match self {
            FileKind::Persons => &<Persons as ImportKind>::SPEC,
            FileKind::Diagnoses => &<Diagnoses as ImportKind>::SPEC,
            FileKind::Claims => &<Claims as ImportKind>::SPEC,
            FileKind::Pushes => &<Pushes as ImportKind>::SPEC,
        }
    }

    /// The columns, in template order.
    pub fn columns(self) -> &'static [ColumnDef] {
        self.spec().columns
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        self.spec().label
    }

    /// English name (`persons`, `diagnoses`, `claims`).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// True when `header` (a header cell) names one of the columns.
    pub fn knows_header(self, header: &str) -> bool {
        let h = normalize_header(header);
        self.columns().iter().any(|c| c.matches(&h))
    }
}

impl ColumnDef {
    fn matches(&self, normalized_header: &str) -> bool {
        normalized_header == self.header || normalized_header.eq_ignore_ascii_case(self.alias)
    }
}

// The kinds' tables, where callers have always found them.
pub use crate::claims::{CLAIM_COLUMNS, col as claim};
pub use crate::diagnoses::{DIAGNOSIS_COLUMNS, col as diagnosis};
pub use crate::persons::{PERSON_COLUMNS, col as person};
pub use crate::pushes::{PUSH_COLUMNS, col as push};

/// The columns of `kind` as a Markdown table (header, alias, required,
/// values, example), for the documentation.
pub fn markdown_table(kind: FileKind) -> String {
    let mut out =
        String::from("| 列名 | alias | 必填 | 可填写的值 | 示例 |\n|---|---|---|---|---|\n");
    for c in kind.columns() {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            c.header,
            c.alias,
            if c.required { "是" } else { "否" },
            c.allowed_values().replace('|', "\\|"),
            c.example.replace('|', "\\|")
        ));
    }
    out
}

/// A header cell as compared: normalised, required-marks (`*`, `（必填）`)
/// removed.
pub fn normalize_header(raw: &str) -> String {
    let n = normalize_text(raw);
    let mut s: &str = &n;
    for suffix in ["（必填）", "(必填)", "（选填）", "(选填)"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest;
        }
    }
    s.trim_matches(|c: char| c == '*' || c == '＊' || c.is_whitespace())
        .to_string()
}

/// Where each column of a file kind sits in the file.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    kind: FileKind,
    positions: Vec<Option<usize>>,
    header_row: u32,
}

impl ColumnMap {
    /// Matches the header cells against the columns of `kind`. Unknown
    /// headers are returned as warnings (`unknown_column`); a missing
    /// required column or a duplicate is a [`FileError`].
    pub fn from_headers(
        kind: FileKind,
        headers: &[String],
        header_row: u32,
        file: &Arc<str>,
    ) -> Result<(ColumnMap, Vec<RowError>), FileError> {
        let defs = kind.columns();
        let mut positions: Vec<Option<usize>> = vec![None; defs.len()];
        let mut warnings = Vec::new();
        for (i, raw) in headers.iter().enumerate() {
            let h = normalize_header(raw);
            if h.is_empty() {
                continue;
            }
            match defs.iter().position(|d| d.matches(&h)) {
                Some(d) => {
                    if let Some(first) = positions[d] {
                        return Err(FileError::DuplicateColumn {
                            header: defs[d].header.to_string(),
                            first: first + 1,
                            second: i + 1,
                            header_row,
                        });
                    }
                    positions[d] = Some(i);
                }
                None => warnings.push(RowError {
                    file: file.clone(),
                    row: header_row,
                    column: crate::normalize::truncate_chars(&h, 50).into_owned().into(),
                    value: String::new(),
                    problem: format!(
                        "第{}列的列名“{}”不是{}文件的列，该列的内容将被忽略；如果是必填信息，请改用模板中的列名",
                        i + 1,
                        crate::normalize::truncate_chars(&h, 50),
                        kind.label()
                    ),
                    code: "unknown_column",
                    severity: Severity::Warning,
                }),
            }
        }
        let missing: Vec<String> = defs
            .iter()
            .zip(&positions)
            .filter(|(d, p)| d.required && p.is_none())
            .map(|(d, _)| format!("{}（{}）", d.header, d.alias))
            .collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns {
                missing,
                header_row,
            });
        }
        Ok((
            ColumnMap {
                kind,
                positions,
                header_row,
            },
            warnings,
        ))
    }

    /// The file column of column definition `def` (an index into
    /// `kind.columns()`), when present.
    pub fn position(&self, def: usize) -> Option<usize> {
        self.positions.get(def).copied().flatten()
    }

    /// The file kind.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The row the header was read from.
    pub fn header_row(&self) -> u32 {
        self.header_row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_chinese_or_alias_in_any_order() {
        let file: Arc<str> = Arc::from("t.csv");
        let headers: Vec<String> = [
            "id_number",
            " 户编号 ",
            "VILLAGE_CODE",
            "户类别*",
            "姓名（必填）",
            "与户主关系",
            "备注",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (map, warnings) =
            ColumnMap::from_headers(FileKind::Persons, &headers, 1, &file).unwrap();
        assert_eq!(map.position(person::ID_NUMBER), Some(0));
        assert_eq!(map.position(person::HOUSEHOLD_ID), Some(1));
        assert_eq!(map.position(person::VILLAGE_CODE), Some(2));
        assert_eq!(map.position(person::HOUSEHOLD_TYPE), Some(3));
        assert_eq!(map.position(person::PHONE), None);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, "unknown_column");
        assert_eq!(warnings[0].column, "备注");
    }

    #[test]
    fn missing_and_duplicate_columns_are_file_errors() {
        let file: Arc<str> = Arc::from("t.csv");
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match ColumnMap::from_headers(FileKind::Diagnoses, &h(&["身份证号", "疾病名称"]), 3, &file)
        {
            Err(FileError::MissingColumns {
                missing,
                header_row,
            }) => {
                assert_eq!(header_row, 3);
                assert_eq!(missing, ["疾病编码（icd10）", "确诊日期（diagnosed_on）"]);
            }
            other => panic!("{other:?}"),
        }
        let e = ColumnMap::from_headers(
            FileKind::Diagnoses,
            &h(&["身份证号", "icd10", "确诊日期", "ID_NUMBER"]),
            1,
            &file,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                FileError::DuplicateColumn {
                    first: 1,
                    second: 4,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.code(), "duplicate_column");
    }

    #[test]
    fn markdown_lists_every_column() {
        let md = markdown_table(FileKind::Persons);
        assert_eq!(md.lines().count(), 2 + PERSON_COLUMNS.len());
        assert!(md.contains("| 身份证号 | `id_number` | 是 |"));
        assert!(md.contains("低保\\|因病致贫重病患者"), "pipes are escaped");
    }

    #[test]
    fn dropdown_choices_follow_the_domain_lists() {
        assert_eq!(
            ValueKind::HouseholdType.choices(),
            [
                "脱贫户",
                "脱贫不稳定户",
                "边缘易致贫户",
                "突发严重困难户",
                "一般农户"
            ]
        );
        assert_eq!(ValueKind::Relation.choices().len(), Relation::ALL.len());
        assert!(
            PERSON_COLUMNS[person::HOUSEHOLD_TYPE]
                .allowed_values()
                .contains("edge")
        );
        for (i, c) in PERSON_COLUMNS.iter().enumerate() {
            assert!(FileKind::Persons.knows_header(c.header), "{i}");
            assert!(FileKind::Persons.knows_header(c.alias), "{i}");
        }
    }
}
