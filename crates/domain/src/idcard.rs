//! Resident ID numbers (公民身份号码, GB 11643-1999).
//!
//! An [`IdCardNo`] is always the 18-character form with a correct ISO 7064
//! MOD 11-2 check character and a real birth date that is not in the future.
//! 15-digit numbers of the 1989 standard are upgraded on parse. The value
//! is personal data: its `Debug` output is masked so that it cannot leak
//! into logs by accident; use [`IdCardNo::as_str`] where the full number is
//! really needed.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

/// Weights of positions 1–17: 2^(18−i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of the weighted sum mod 11.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";
/// Birth years before this are taken as typing errors, not as people.
const EARLIEST_BIRTH_YEAR: i32 = 1850;

/// Why a string is not a valid ID number. Each variant names the rule that failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdCardError {
    /// Neither 18 characters (current) nor 15 digits (legacy).
    #[error("身份证号应为18位（或15位旧号），实际为{len}位")]
    Length {
        /// Number of characters found.
        len: usize,
    },
    /// A character other than a digit (or a final X) was found.
    #[error("身份证号第{position}位不是数字")]
    NotDigit {
        /// 1-based position of the offending character.
        position: usize,
    },
    /// The check character does not match the first 17 digits.
    #[error("身份证号校验位错误：应为{expected}，实际为{found}")]
    Checksum {
        /// The check character the first 17 digits call for.
        expected: char,
        /// The check character in the input.
        found: char,
    },
    /// Digits 7–14 are not a real calendar date.
    #[error("身份证号中的出生日期{digits}不是有效日期")]
    BirthDateInvalid {
        /// The eight birth-date digits as given.
        digits: String,
    },
    /// The birth date lies after the reference date.
    #[error("身份证号中的出生日期{date}晚于当前日期")]
    BirthDateInFuture {
        /// The birth date.
        date: NaiveDate,
    },
    /// The birth year is implausibly early.
    #[error("身份证号中的出生年份{year}早于{EARLIEST_BIRTH_YEAR}年")]
    BirthDateTooEarly {
        /// The birth year.
        year: i32,
    },
}

impl IdCardError {
    /// Stable English code used in error reports.
    pub fn code(&self) -> &'static str {
        match self {
            IdCardError::Length { .. } | IdCardError::NotDigit { .. } => "id_format",
            IdCardError::Checksum { .. } => "id_checksum",
            IdCardError::BirthDateInvalid { .. }
            | IdCardError::BirthDateInFuture { .. }
            | IdCardError::BirthDateTooEarly { .. } => "id_birth_date",
        }
    }
}

/// Sex encoded by the sequence code: odd is male, even is female.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// A valid 18-character resident ID number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdCardNo([u8; 18]);

impl IdCardNo {
    /// Parses an ID number as stored or searched for: length, digits,
    /// check character and a real birth date, but no judgement of the
    /// birth date against today (this crate reads no clock; input from
    /// people goes through [`IdCardNo::parse_as_of`] with the caller's date).
    pub fn parse(input: &str) -> Result<Self, IdCardError> {
        Self::parse_as_of(input, NaiveDate::MAX)
    }

    /// Parses an ID number, judging the birth date against `today`.
    ///
    /// Accepts a lower-case `x` as check character and upgrades 15-digit
    /// numbers by inserting the century `19` and computing the check.
    pub fn parse_as_of(input: &str, today: NaiveDate) -> Result<Self, IdCardError> {
        let bytes = input.as_bytes();
        let mut out = [0u8; 18];
        match bytes.len() {
            18 => {
                for (i, &b) in bytes[..17].iter().enumerate() {
                    if !b.is_ascii_digit() {
                        return Err(IdCardError::NotDigit { position: i + 1 });
                    }
                }
                let last = bytes[17].to_ascii_uppercase();
                if !(last.is_ascii_digit() || last == b'X') {
                    return Err(IdCardError::NotDigit { position: 18 });
                }
                out[..17].copy_from_slice(&bytes[..17]);
                out[17] = last;
                let expected = check_char(&out);
                if expected != last {
                    return Err(IdCardError::Checksum {
                        expected: expected as char,
                        found: last as char,
                    });
                }
            }
            15 => {
                if let Some(i) = bytes.iter().position(|b| !b.is_ascii_digit()) {
                    return Err(IdCardError::NotDigit { position: i + 1 });
                }
                out[..6].copy_from_slice(&bytes[..6]);
                out[6..8].copy_from_slice(b"19");
                out[8..17].copy_from_slice(&bytes[6..15]);
                out[17] = check_char(&out);
            }
            _ => {
                return Err(IdCardError::Length {
                    len: input.chars().count(),
                });
            }
        }
        let birth = birth_date_of(&out)?;
        if birth > today {
            return Err(IdCardError::BirthDateInFuture { date: birth });
        }
        if birth.year() < EARLIEST_BIRTH_YEAR {
            return Err(IdCardError::BirthDateTooEarly { year: birth.year() });
        }
        Ok(IdCardNo(out))
    }

    /// Builds the ID number of a person from its parts, computing the check
    /// character. `sequence` is 0–999 (odd for men, even for women).
    pub fn from_parts(area: &str, birth: NaiveDate, sequence: u16) -> Result<Self, IdCardError> {
        if area.len() != 6 || !area.bytes().all(|b| b.is_ascii_digit()) || sequence > 999 {
            return Err(IdCardError::Length { len: area.len() });
        }
        let body = format!("{area}{}{sequence:03}", birth.format("%Y%m%d"));
        let mut out = [0u8; 18];
        out[..17].copy_from_slice(body.as_bytes());
        out[17] = check_char(&out);
        let birth_ok = birth_date_of(&out)?;
        debug_assert_eq!(birth_ok, birth);
        Ok(IdCardNo(out))
    }

    /// The full 18-character number. Personal data: never log it.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and 'X' are ever stored.
        std::str::from_utf8(&self.0).expect("ID number bytes are ASCII")
    }

    /// The six-digit address code (the county of first registration).
    pub fn area_code(&self) -> &str {
        &self.as_str()[..6]
    }

    /// Date of birth.
    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(&self.0).expect("checked on parse")
    }

    /// Sex from the parity of the sequence code.
    pub fn sex(&self) -> Sex {
        if (self.0[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years on `on`, by birthday comparison.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        age_on(self.birth_date(), on)
    }

    /// The masked form shown by default: first 6 and last 4 characters.
    pub fn masked(&self) -> String {
        mask_middle(self.as_str())
    }

    /// A compact numeric key (for in-memory duplicate detection): the 17
    /// digits times 11 plus the check value. Distinct numbers give distinct keys.
    pub fn packed(&self) -> u64 {
        let body = self.0[..17]
            .iter()
            .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
        let check = if self.0[17] == b'X' {
            10
        } else {
            u64::from(self.0[17] - b'0')
        };
        body * 11 + check
    }

    /// The inverse of [`IdCardNo::packed`] for keys made by it; `None` for
    /// any other number.
    pub fn from_packed(key: u64) -> Option<Self> {
        let check = key % 11;
        let mut body = key / 11;
        let mut out = [0u8; 18];
        for i in (0..17).rev() {
            out[i] = b'0' + (body % 10) as u8;
            body /= 10;
        }
        if body != 0 {
            return None;
        }
        out[17] = if check == 10 {
            b'X'
        } else {
            b'0' + check as u8
        };
        (check_char(&out) == out[17] && birth_date_of(&out).is_ok()).then_some(IdCardNo(out))
    }
}

/// Age in whole years on `on` of someone born on `birth` (0 before birth).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

/// Masks the middle of an identifier, keeping the first 6 and last 4
/// characters (the national display rule for ID and phone numbers). Short
/// values are masked whole.
pub fn mask_middle(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..6].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - 10));
    out.extend(&chars[chars.len() - 4..]);
    out
}

fn check_char(digits: &[u8; 18]) -> u8 {
    let sum: u32 = digits[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn birth_date_of(digits: &[u8; 18]) -> Result<NaiveDate, IdCardError> {
    let s = std::str::from_utf8(&digits[6..14]).unwrap_or("");
    let invalid = || IdCardError::BirthDateInvalid {
        digits: s.to_string(),
    };
    let year: i32 = s[..4].parse().map_err(|_| invalid())?;
    let month: u32 = s[4..6].parse().map_err(|_| invalid())?;
    let day: u32 = s[6..8].parse().map_err(|_| invalid())?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(invalid)
}

impl fmt::Debug for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

impl fmt::Display for IdCardNo {
    /// Displays the masked form; personal data is opt-in via [`IdCardNo::as_str`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl FromStr for IdCardNo {
    type Err = IdCardError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    }

    /// `parse` reads no clock: a birth date after the caller's today is
    /// judged only by `parse_as_of`.
    #[test]
    fn only_parse_as_of_judges_the_birth_date_against_a_date() {
        let born = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let id = IdCardNo::from_parts("130624", born, 12).unwrap();
        assert!(IdCardNo::parse(id.as_str()).is_ok());
        assert!(matches!(
            IdCardNo::parse_as_of(id.as_str(), today()),
            Err(IdCardError::BirthDateInFuture { .. })
        ));
    }

    #[test]
    fn worked_examples() {
        let a = IdCardNo::parse_as_of("11010519491231002X", today()).unwrap();
        assert_eq!(a.sex(), Sex::Female);
        assert_eq!(
            a.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(a.area_code(), "110105");
        let b = IdCardNo::parse_as_of("440524188001010014", today()).unwrap();
        assert_eq!(b.sex(), Sex::Male);
        assert_eq!(
            IdCardNo::parse_as_of("340524198001010013", today()),
            Err(IdCardError::Checksum {
                expected: 'X',
                found: '3'
            })
        );
    }

    #[test]
    fn lower_case_x_is_normalised() {
        let a = IdCardNo::parse_as_of("11010519491231002x", today()).unwrap();
        assert_eq!(a.as_str(), "11010519491231002X");
    }

    #[test]
    fn fifteen_digits_are_upgraded() {
        // 110105491231002 -> 11010519491231002X
        let a = IdCardNo::parse_as_of("110105491231002", today()).unwrap();
        assert_eq!(a.as_str(), "11010519491231002X");
    }

    #[test]
    fn rules_are_named() {
        let t = today();
        assert_eq!(
            IdCardNo::parse_as_of("1234", t),
            Err(IdCardError::Length { len: 4 })
        );
        assert_eq!(
            IdCardNo::parse_as_of("1101051949123100AX", t),
            Err(IdCardError::NotDigit { position: 17 })
        );
        // 1999-02-30 does not exist; check digit made valid for it.
        let body = "13062419990230123";
        let mut d = [0u8; 18];
        d[..17].copy_from_slice(body.as_bytes());
        d[17] = check_char(&d);
        let s = std::str::from_utf8(&d).unwrap();
        assert_eq!(
            IdCardNo::parse_as_of(s, t).unwrap_err().code(),
            "id_birth_date"
        );
        let future =
            IdCardNo::from_parts("130624", NaiveDate::from_ymd_opt(2030, 5, 1).unwrap(), 11)
                .unwrap();
        assert!(matches!(
            IdCardNo::parse_as_of(future.as_str(), t),
            Err(IdCardError::BirthDateInFuture { .. })
        ));
    }

    #[test]
    fn age_uses_birthday_comparison() {
        let a = IdCardNo::from_parts("130624", NaiveDate::from_ymd_opt(2000, 2, 29).unwrap(), 12)
            .unwrap();
        assert_eq!(a.age_on(NaiveDate::from_ymd_opt(2023, 2, 28).unwrap()), 22);
        assert_eq!(a.age_on(NaiveDate::from_ymd_opt(2023, 3, 1).unwrap()), 23);
        assert_eq!(a.age_on(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()), 24);
    }

    #[test]
    fn masking_and_debug_hide_the_middle() {
        let a = IdCardNo::parse_as_of("11010519491231002X", today()).unwrap();
        assert_eq!(a.masked(), "110105********002X");
        assert_eq!(format!("{a:?}"), "IdCardNo(110105********002X)");
        assert_eq!(a.to_string(), "110105********002X");
        assert_eq!(mask_middle("13944633904"), "139446*3904");
    }

    proptest! {
        #[test]
        fn from_parts_round_trips(days in 0i64..60_000, seq in 0u16..1000) {
            let birth = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(days as u64);
            prop_assume!(birth <= today());
            let id = IdCardNo::from_parts("130624", birth, seq).unwrap();
            let back = IdCardNo::parse_as_of(id.as_str(), today()).unwrap();
            prop_assert_eq!(back, id);
            prop_assert_eq!(back.birth_date(), birth);
            prop_assert_eq!(back.sex() == Sex::Male, seq % 2 == 1);
        }

        #[test]
        fn one_changed_digit_is_caught(days in 0i64..40_000, seq in 0u16..1000, pos in 0usize..17, delta in 1u8..10) {
            let birth = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Days::new(days as u64);
            prop_assume!(birth <= today());
            let id = IdCardNo::from_parts("130624", birth, seq).unwrap();
            let mut bytes = id.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(bytes).unwrap();
            prop_assert!(IdCardNo::parse_as_of(&s, today()).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = IdCardNo::parse_as_of(&s, today());
        }

        #[test]
        fn packed_is_injective(a in 0u16..1000, b in 0u16..1000) {
            let birth = NaiveDate::from_ymd_opt(1960, 6, 1).unwrap();
            let x = IdCardNo::from_parts("130624", birth, a).unwrap();
            let y = IdCardNo::from_parts("130624", birth, b).unwrap();
            prop_assert_eq!(x.packed() == y.packed(), a == b);
        }

        #[test]
        fn packed_round_trips(days in 0i64..40_000, seq in 0u16..1000) {
            let birth = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let id = IdCardNo::from_parts("130624", birth, seq).unwrap();
            prop_assert_eq!(IdCardNo::from_packed(id.packed()), Some(id));
        }
    }
}
