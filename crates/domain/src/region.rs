//! Statistical division codes (统计用区划代码): 12 digits
//! `PP CC DD TTT VVV`, province to village, higher levels right-padded
//! with zeros.
//!
//! The level of a code follows from its trailing zero segments. A few
//! prefectures have no county layer (东莞市 441900, 中山市 442000, 儋州市
//! 460400): their townships sit directly under the prefecture code, which
//! the region tree records; [`RegionCode::ancestors`] yields only the codes
//! that differ, so such a township's county prefix and city code coincide.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Why a string is not a region code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegionError {
    /// Not 12 digits (or a 2/4/6/9-digit prefix where prefixes are allowed).
    #[error("行政区划代码“{0}”应为12位数字")]
    Format(String),
    /// All zeros, or a lower segment filled under an empty higher one.
    #[error("行政区划代码“{0}”的层级结构不正确")]
    Structure(String),
}

/// The five levels of the division tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省级
    Province = 1,
    /// 地级
    City = 2,
    /// 县级
    County = 3,
    /// 乡级（乡镇、街道）
    Township = 4,
    /// 村级（村委会、居委会）
    Village = 5,
}

impl RegionLevel {
    /// Number of significant leading digits at this level.
    pub const fn digits(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            RegionLevel::Province => "省",
            RegionLevel::City => "市",
            RegionLevel::County => "县",
            RegionLevel::Township => "乡镇",
            RegionLevel::Village => "村",
        }
    }

    /// From the numeric level 1–5.
    pub fn from_number(n: u8) -> Option<Self> {
        Some(match n {
            1 => RegionLevel::Province,
            2 => RegionLevel::City,
            3 => RegionLevel::County,
            4 => RegionLevel::Township,
            5 => RegionLevel::Village,
            _ => return None,
        })
    }

    const ALL: [RegionLevel; 5] = [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ];
}

/// A 12-digit statistical division code.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode([u8; 12]);

impl RegionCode {
    /// Parses a full 12-digit code.
    pub fn parse(input: &str) -> Result<Self, RegionError> {
        let b = input.as_bytes();
        if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
            return Err(RegionError::Format(input.to_string()));
        }
        let mut out = [0u8; 12];
        out.copy_from_slice(b);
        let code = RegionCode(out);
        code.check_structure()?;
        Ok(code)
    }

    /// Parses a full code or a 2, 4, 6 or 9-digit prefix (as used for a
    /// province, city, county or township), padding it with zeros.
    pub fn parse_prefix(input: &str) -> Result<Self, RegionError> {
        let b = input.as_bytes();
        if !matches!(b.len(), 2 | 4 | 6 | 9 | 12) || !b.iter().all(u8::is_ascii_digit) {
            return Err(RegionError::Format(input.to_string()));
        }
        let mut out = [b'0'; 12];
        out[..b.len()].copy_from_slice(b);
        let code = RegionCode(out);
        code.check_structure()?;
        Ok(code)
    }

    fn check_structure(&self) -> Result<(), RegionError> {
        if self.0[..2] == *b"00" {
            return Err(RegionError::Structure(self.as_str().to_string()));
        }
        Ok(())
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("region code bytes are ASCII")
    }

    /// The level implied by the trailing zero segments.
    pub fn level(&self) -> RegionLevel {
        let zero = |from: usize, to: usize| self.0[from..to].iter().all(|&b| b == b'0');
        if !zero(9, 12) {
            RegionLevel::Village
        } else if !zero(6, 9) {
            RegionLevel::Township
        } else if !zero(4, 6) {
            RegionLevel::County
        } else if !zero(2, 4) {
            RegionLevel::City
        } else {
            RegionLevel::Province
        }
    }

    /// The significant digits: the prefix every code in this subtree shares.
    pub fn prefix(&self) -> &str {
        &self.as_str()[..self.level().digits()]
    }

    /// The code truncated to `level` and padded with zeros (the ancestor at
    /// that level, or itself when `level` is not above its own).
    pub fn at_level(&self, level: RegionLevel) -> RegionCode {
        let mut out = [b'0'; 12];
        let n = level.digits().min(self.level().digits());
        out[..n].copy_from_slice(&self.0[..n]);
        RegionCode(out)
    }

    /// The six-digit county code (for 县域内 tests and table partitioning).
    pub fn county_code(&self) -> &str {
        &self.as_str()[..6]
    }

    /// Ancestors from the province down to the immediate parent, skipping
    /// levels whose padded code coincides with a higher one.
    pub fn ancestors(&self) -> Vec<RegionCode> {
        let own = self.level();
        let mut out: Vec<RegionCode> = Vec::with_capacity(4);
        for level in RegionLevel::ALL.into_iter().filter(|l| *l < own) {
            let a = self.at_level(level);
            if a != *self && out.last() != Some(&a) {
                out.push(a);
            }
        }
        out
    }

    /// The nearest ancestor, if any.
    pub fn parent(&self) -> Option<RegionCode> {
        self.ancestors().pop()
    }

    /// True when `other` lies in this code's subtree (or is this code).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.as_str().starts_with(self.prefix())
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.as_str())
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RegionCode::parse_prefix(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn levels_and_ancestors() {
        let v = RegionCode::parse("653126100039").unwrap();
        assert_eq!(v.level(), RegionLevel::Village);
        assert_eq!(v.county_code(), "653126");
        let a: Vec<String> = v.ancestors().iter().map(|c| c.to_string()).collect();
        assert_eq!(
            a,
            [
                "650000000000",
                "653100000000",
                "653126000000",
                "653126100000"
            ]
        );
        assert_eq!(v.parent().unwrap().level(), RegionLevel::Township);
        let p = RegionCode::parse_prefix("130624").unwrap();
        assert_eq!(p.level(), RegionLevel::County);
        assert_eq!(p.prefix(), "130624");
        assert!(p.contains(&RegionCode::parse("130624100200").unwrap()));
        assert!(!p.contains(&RegionCode::parse("130625100200").unwrap()));
        assert_eq!(RegionCode::parse("110000000000").unwrap().parent(), None);
    }

    #[test]
    fn prefecture_without_counties() {
        // 东莞市 东城街道: its county-level code equals the prefecture code.
        let t = RegionCode::parse("441900003000").unwrap();
        let a: Vec<String> = t.ancestors().iter().map(|c| c.to_string()).collect();
        assert_eq!(a, ["440000000000", "441900000000"]);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "13062410020",
            "13062410020x",
            "000000000000",
            "1306241002001",
        ] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
        assert!(RegionCode::parse_prefix("1306241").is_err());
    }

    proptest! {
        #[test]
        fn ancestors_contain_the_code(s in "[1-6][0-9]{11}") {
            let c = RegionCode::parse(&s).unwrap();
            for a in c.ancestors() {
                prop_assert!(a.contains(&c));
                prop_assert!(a.level() < c.level());
            }
        }
    }
}
