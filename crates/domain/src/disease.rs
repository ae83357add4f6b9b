//! ICD-10 codes and the versioned disease catalogue: the 30 major diseases
//! of special treatment (大病专项救治病种) and the 4 priority chronic
//! diseases of contract management (慢病签约).
//!
//! The lists are data, not code: each is a TOML file under
//! `data/diseases/` with an id, a version and validity dates, and matching
//! is by code prefix (a list entry `C16` matches `C16.9` and `C16.900`).
//! Entries can carry an age limit and can be switched off by configuration.

use std::fmt;

use chrono::NaiveDate;
use serde::Deserialize;
use thiserror::Error;

/// Why a string is not an ICD-10 code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("“{0}”不是有效的ICD-10疾病编码（应如 I10、C16.9、I10.x00）")]
pub struct Icd10Error(pub String);

/// An ICD-10 code, national clinical extensions included (`I10.x00`).
/// The letter is upper-cased; the extension keeps its case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Icd10(String);

impl Icd10 {
    /// Parses `A00`–`Z99` with an optional extension of up to 6 letters or
    /// digits after a dot (a `+`/`*` dagger-asterisk mark is accepted too).
    pub fn parse(input: &str) -> Result<Self, Icd10Error> {
        let s = input.trim();
        let err = || Icd10Error(input.to_string());
        let b = s.as_bytes();
        if b.len() < 3
            || !b[0].is_ascii_alphabetic()
            || !b[1].is_ascii_digit()
            || !b[2].is_ascii_digit()
        {
            return Err(err());
        }
        let rest = &s[3..];
        if !rest.is_empty() {
            let ext = rest.strip_prefix('.').ok_or_else(err)?;
            let ext = ext.trim_end_matches(['+', '*']);
            if ext.is_empty() || ext.len() > 6 || !ext.bytes().all(|c| c.is_ascii_alphanumeric()) {
                return Err(err());
            }
        }
        let mut code = s.to_string();
        code[..1].make_ascii_uppercase();
        Ok(Icd10(code))
    }

    /// The code as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The three-character category, e.g. `C16`.
    pub fn category(&self) -> &str {
        &self.0[..3]
    }

    /// True when this code lies under `prefix` (compared case-insensitively).
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.0.len() >= prefix.len() && self.0[..prefix.len()].eq_ignore_ascii_case(prefix)
    }
}

impl fmt::Display for Icd10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Icd10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Icd10({})", self.0)
    }
}

/// A catalogue file that could not be read.
#[derive(Debug, Error)]
pub enum CatalogueError {
    /// TOML syntax or shape.
    #[error("疾病目录 {file} 格式错误：{source}")]
    Toml {
        /// Which file.
        file: String,
        /// The parser's message.
        source: toml::de::Error,
    },
    /// A code pattern that is neither a code nor a range of categories.
    #[error("疾病目录 {file} 中“{disease}”的编码“{pattern}”无效")]
    Pattern {
        /// Which file.
        file: String,
        /// Which disease.
        disease: String,
        /// The bad pattern.
        pattern: String,
    },
}

/// One disease of a list.
#[derive(Debug, Clone, Deserialize)]
pub struct Disease {
    /// Chinese name.
    pub name: String,
    /// English name.
    #[serde(default)]
    pub name_en: String,
    /// Code prefixes; `C81-C86` stands for each category in the range.
    pub codes: Vec<String>,
    /// Youngest age (inclusive) the entry applies to.
    #[serde(default)]
    pub min_age: Option<u32>,
    /// Oldest age (inclusive) the entry applies to.
    #[serde(default)]
    pub max_age: Option<u32>,
    /// False for rows a region has switched off.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Why the row is uncertain, if it is.
    #[serde(default)]
    pub note: String,
}

fn yes() -> bool {
    true
}

/// A versioned list of diseases.
#[derive(Debug, Clone, Deserialize)]
pub struct DiseaseList {
    /// Stable id, e.g. `major30`, `chronic4`.
    pub id: String,
    /// Chinese title.
    pub name: String,
    /// Version label.
    pub version: String,
    /// First day the version applies.
    pub valid_from: NaiveDate,
    /// Last day it applies, if it has ended.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// The diseases.
    pub diseases: Vec<Disease>,
    #[serde(skip)]
    expanded: Vec<Vec<String>>,
}

impl DiseaseList {
    /// Reads a list from TOML text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, CatalogueError> {
        let mut list: DiseaseList =
            toml::from_str(text).map_err(|source| CatalogueError::Toml {
                file: file.to_string(),
                source,
            })?;
        list.expanded = list
            .diseases
            .iter()
            .map(|d| {
                d.codes
                    .iter()
                    .map(|p| {
                        expand_pattern(p).ok_or_else(|| CatalogueError::Pattern {
                            file: file.to_string(),
                            disease: d.name.clone(),
                            pattern: p.clone(),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.concat())
            })
            .collect::<Result<_, _>>()?;
        Ok(list)
    }

    /// True when the list is in force on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }

    /// The enabled disease that `code` falls under for a person of `age`
    /// (when the age is known), if any.
    pub fn matching(&self, code: &Icd10, age: Option<u32>) -> Option<&Disease> {
        self.diseases
            .iter()
            .zip(&self.expanded)
            .filter(|(d, _)| d.enabled)
            .filter(|(d, _)| match age {
                Some(a) => d.min_age.is_none_or(|m| a >= m) && d.max_age.is_none_or(|m| a <= m),
                None => true,
            })
            .find(|(_, prefixes)| prefixes.iter().any(|p| code.starts_with(p)))
            .map(|(d, _)| d)
    }
}

/// Expands `C81-C86` (or `C81–C86`) into its categories; a plain code
/// stands for itself.
fn expand_pattern(p: &str) -> Option<Vec<String>> {
    let p = p.trim();
    if let Some((a, b)) = p.split_once(['-', '–']) {
        let (a, b) = (a.trim().as_bytes(), b.trim().as_bytes());
        if a.len() != 3 || b.len() != 3 || a[0] != b[0] || !a[0].is_ascii_uppercase() {
            return None;
        }
        let from: u32 = std::str::from_utf8(&a[1..]).ok()?.parse().ok()?;
        let to: u32 = std::str::from_utf8(&b[1..]).ok()?.parse().ok()?;
        if from > to {
            return None;
        }
        return Some(
            (from..=to)
                .map(|n| format!("{}{n:02}", a[0] as char))
                .collect(),
        );
    }
    Icd10::parse(p).ok().map(|c| vec![c.as_str().to_string()])
}

/// The disease lists the program ships with.
#[derive(Debug, Clone)]
pub struct DiseaseCatalogue {
    /// All lists, every version.
    pub lists: Vec<DiseaseList>,
}

/// The shipped lists: (file name, TOML text).
pub const BUILT_IN_LISTS: &[(&str, &str)] = &[
    (
        "major30-2020.toml",
        include_str!("../../../data/diseases/major30-2020.toml"),
    ),
    (
        "chronic4-2017.toml",
        include_str!("../../../data/diseases/chronic4-2017.toml"),
    ),
];

impl DiseaseCatalogue {
    /// The catalogue shipped with the program.
    pub fn built_in() -> Self {
        let lists = BUILT_IN_LISTS
            .iter()
            .map(|(file, text)| DiseaseList::from_toml(file, text).expect("shipped lists parse"))
            .collect();
        DiseaseCatalogue { lists }
    }

    /// The version of list `id` in force on `date`.
    pub fn list(&self, id: &str, date: NaiveDate) -> Option<&DiseaseList> {
        self.lists
            .iter()
            .filter(|l| l.id == id && l.in_force_on(date))
            .max_by_key(|l| l.valid_from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn icd10_forms() {
        assert_eq!(Icd10::parse("i10").unwrap().as_str(), "I10");
        assert_eq!(Icd10::parse("I10.x00").unwrap().as_str(), "I10.x00");
        assert_eq!(Icd10::parse(" C16.9 ").unwrap().category(), "C16");
        for bad in ["", "I1", "10I", "I10.", "I10x00", "I10.x00000000", "中文"] {
            assert!(Icd10::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shipped_lists_match_by_prefix() {
        let cat = DiseaseCatalogue::built_in();
        let major = cat.list("major30", day(2023, 6, 1)).unwrap();
        assert_eq!(major.diseases.len(), 30);
        let gastric = Icd10::parse("C16.9").unwrap();
        assert_eq!(major.matching(&gastric, Some(50)).unwrap().name, "胃癌");
        let lymphoma = Icd10::parse("C83.3").unwrap();
        assert!(major.matching(&lymphoma, Some(10)).is_some());
        assert!(
            major.matching(&lymphoma, Some(40)).is_none(),
            "childhood only"
        );
        assert!(
            major
                .matching(&Icd10::parse("I10").unwrap(), None)
                .is_none()
        );
        let chronic = cat.list("chronic4", day(2023, 6, 1)).unwrap();
        assert_eq!(chronic.diseases.len(), 4);
        let hyper = Icd10::parse("I10.x00").unwrap();
        assert_eq!(chronic.matching(&hyper, None).unwrap().name, "原发性高血压");
        assert!(
            chronic
                .matching(&Icd10::parse("E11.9").unwrap(), None)
                .is_some()
        );
        assert!(
            chronic
                .matching(&Icd10::parse("E10.9").unwrap(), None)
                .is_none()
        );
    }

    #[test]
    fn ranges_expand() {
        assert_eq!(expand_pattern("J60-J65").unwrap().len(), 6);
        assert!(expand_pattern("J65-J60").is_none());
        assert!(expand_pattern("J60-K65").is_none());
    }
}
