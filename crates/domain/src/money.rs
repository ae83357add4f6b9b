//! Money in integer fen (分) and ratios in ten-thousandths.
//!
//! Floating point never touches money: amounts parse from decimal strings
//! exactly, arithmetic is on `i64` fen, and a ratio multiplies exactly and
//! rounds half-up (away from zero) to the fen only where the caller asks.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Largest amount accepted from text: one trillion yuan.
const MAX_FEN: i64 = 100_000_000_000_000;

/// Why a string is not an amount of money or a ratio.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// Nothing to parse.
    #[error("金额为空")]
    Empty,
    /// Not a plain decimal number.
    #[error("“{0}”不是有效的数字")]
    NotANumber(String),
    /// More fractional digits than allowed.
    #[error("“{value}”的小数超过{max}位")]
    TooManyDecimals {
        /// The input.
        value: String,
        /// Decimals allowed.
        max: u32,
    },
    /// Outside the representable range.
    #[error("“{0}”超出允许范围")]
    OutOfRange(String),
    /// A negative value where none is allowed.
    #[error("“{0}”不能为负数")]
    Negative(String),
}

/// An amount of money in fen (0.01 yuan).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(0);

    /// From a count of fen.
    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    /// From whole yuan.
    pub const fn from_yuan(yuan: i64) -> Self {
        Money(yuan * 100)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Parses a yuan amount such as `1234`, `1234.5` or `-12.34` exactly.
    /// More than two decimals, exponents and thousands separators are refused.
    pub fn from_yuan_str(input: &str) -> Result<Self, MoneyError> {
        let (units, scale) = parse_fixed(input, 2)?;
        units
            .checked_mul(10i64.pow(2 - scale))
            .filter(|fen| fen.abs() <= MAX_FEN)
            .map(Money)
            .ok_or_else(|| MoneyError::OutOfRange(input.to_string()))
    }

    /// Like [`Money::from_yuan_str`] but refuses negative amounts.
    pub fn from_yuan_str_non_negative(input: &str) -> Result<Self, MoneyError> {
        let m = Self::from_yuan_str(input)?;
        if m.0 < 0 {
            return Err(MoneyError::Negative(input.to_string()));
        }
        Ok(m)
    }

    /// `self × ratio`, rounded half-up (away from zero) to the fen.
    pub fn mul_ratio(self, ratio: Ratio) -> Money {
        Money(round_div(
            i128::from(self.0) * i128::from(ratio.0),
            i128::from(Ratio::SCALE),
        ))
    }

    /// `self × ratio` exactly, in units of 1/10000 fen, for sums that are
    /// rounded once at the end (see [`Money::from_exact`]).
    pub fn mul_ratio_exact(self, ratio: Ratio) -> i128 {
        i128::from(self.0) * i128::from(ratio.0)
    }

    /// Rounds an exact amount in 1/10000 fen half-up to the fen.
    pub fn from_exact(exact: i128) -> Money {
        Money(round_div(exact, i128::from(Ratio::SCALE)))
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }

    /// The larger of two amounts.
    pub fn max(self, other: Money) -> Money {
        Money(self.0.max(other.0))
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

/// Rounds `n / d` half away from zero; `d` is positive.
fn round_div(n: i128, d: i128) -> i64 {
    let q = (n.abs() * 2 + d) / (d * 2);
    (if n < 0 { -q } else { q }) as i64
}

/// Parses a plain decimal with at most `max_scale` fractional digits into
/// (units at its own scale, scale). Trailing fractional zeros do not count.
fn parse_fixed(input: &str, max_scale: u32) -> Result<(i64, u32), MoneyError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(MoneyError::Empty);
    }
    let bad = || MoneyError::NotANumber(input.to_string());
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Err(bad());
    }
    let frac = frac_part.trim_end_matches('0');
    if frac.len() as u32 > max_scale {
        return Err(MoneyError::TooManyDecimals {
            value: input.to_string(),
            max: max_scale,
        });
    }
    let int_digits = int_part.trim_start_matches('0');
    if int_digits.len() + frac.len() > 18 {
        return Err(MoneyError::OutOfRange(input.to_string()));
    }
    // At most 18 digits: the value fits an i64 without checks.
    let units = int_digits
        .bytes()
        .chain(frac.bytes())
        .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    Ok((if negative { -units } else { units }, frac.len() as u32))
}

impl fmt::Display for Money {
    /// Yuan with exactly two decimals, e.g. `-12.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_yuan_str(s)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Money::from_yuan_str(&s).map_err(serde::de::Error::custom)
    }
}

/// A non-negative ratio with at most four decimals (e.g. `0.65`, `1.00`),
/// held in ten-thousandths.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ratio(u32);

impl Ratio {
    /// Ten-thousandths per unit.
    pub const SCALE: u32 = 10_000;
    /// 0.
    pub const ZERO: Ratio = Ratio(0);
    /// 1 (100%).
    pub const ONE: Ratio = Ratio(Self::SCALE);

    /// From ten-thousandths (6500 = 0.65).
    pub const fn from_ten_thousandths(v: u32) -> Self {
        Ratio(v)
    }

    /// The value in ten-thousandths.
    pub const fn ten_thousandths(self) -> u32 {
        self.0
    }

    /// Parses `0.65`, `1`, `.5`; at most four decimals, never negative.
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        let (units, scale) = parse_fixed(input, 4)?;
        if units < 0 {
            return Err(MoneyError::Negative(input.to_string()));
        }
        let v = units.saturating_mul(10i64.pow(4 - scale));
        u32::try_from(v)
            .map(Ratio)
            .map_err(|_| MoneyError::OutOfRange(input.to_string()))
    }

    /// Parses a percentage such as `65%` or `65.5%`.
    pub fn parse_percent(input: &str) -> Result<Self, MoneyError> {
        let s = input.trim().trim_end_matches(['%', '％']);
        let (units, scale) = parse_fixed(s, 2)?;
        if units < 0 {
            return Err(MoneyError::Negative(input.to_string()));
        }
        let v = units.saturating_mul(10i64.pow(2 - scale));
        u32::try_from(v)
            .map(Ratio)
            .map_err(|_| MoneyError::OutOfRange(input.to_string()))
    }

    /// True when the ratio is at most 1 (100%).
    pub fn is_at_most_one(self) -> bool {
        self.0 <= Self::SCALE
    }
}

impl fmt::Display for Ratio {
    /// Shortest decimal form with at least two decimals: `0.65`, `0.1234`, `1.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.0 / Self::SCALE;
        let frac = self.0 % Self::SCALE;
        let mut digits = format!("{frac:04}");
        while digits.len() > 2 && digits.ends_with('0') {
            digits.pop();
        }
        write!(f, "{int}.{digits}")
    }
}

impl fmt::Debug for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ratio({self})")
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ratio::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(Money::from_yuan_str("1234.56").unwrap().fen(), 123456);
        assert_eq!(Money::from_yuan_str("1234.5").unwrap().fen(), 123450);
        assert_eq!(Money::from_yuan_str("1234").unwrap().fen(), 123400);
        assert_eq!(Money::from_yuan_str("0.07").unwrap().fen(), 7);
        assert_eq!(Money::from_yuan_str(".5").unwrap().fen(), 50);
        assert_eq!(Money::from_yuan_str("-12.05").unwrap().fen(), -1205);
        assert_eq!(Money::from_yuan_str(" 10.100 ").unwrap().fen(), 1010);
        assert_eq!(Money::from_yuan_str("0010.00").unwrap().fen(), 1000);
    }

    #[test]
    fn refuses_what_is_not_plain_money() {
        assert!(matches!(
            Money::from_yuan_str("1.234"),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        for bad in [
            "", "abc", "1e5", "1,000.00", "1.2.3", "--1", ".", "-", "１２",
        ] {
            assert!(Money::from_yuan_str(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            Money::from_yuan_str_non_negative("-1"),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            Money::from_yuan_str("99999999999999999999"),
            Err(MoneyError::OutOfRange(_))
        ));
    }

    #[test]
    fn rounds_half_up() {
        let r = Ratio::parse("0.75").unwrap();
        // 11,472.50 × 75% = 8,604.375 -> 8,604.38 (E7 claim A)
        assert_eq!(Money::from_fen(1_147_250).mul_ratio(r).fen(), 860_438);
        assert_eq!(Money::from_fen(-1_147_250).mul_ratio(r).fen(), -860_438);
        assert_eq!(
            Money::from_fen(1)
                .mul_ratio(Ratio::parse("0.5").unwrap())
                .fen(),
            1
        );
        assert_eq!(
            Money::from_fen(1)
                .mul_ratio(Ratio::parse("0.4999").unwrap())
                .fen(),
            0
        );
    }

    #[test]
    fn ratio_forms() {
        assert_eq!(Ratio::parse("0.65").unwrap().ten_thousandths(), 6500);
        assert_eq!(Ratio::parse("1").unwrap(), Ratio::ONE);
        assert_eq!(
            Ratio::parse_percent("65.5%").unwrap().ten_thousandths(),
            6550
        );
        assert!(Ratio::parse("0.12345").is_err());
        assert!(Ratio::parse("-0.1").is_err());
        assert!(!Ratio::parse("1.01").unwrap().is_at_most_one());
        assert_eq!(Ratio::parse("0.9").unwrap().to_string(), "0.90");
        assert_eq!(Ratio::parse("0.1234").unwrap().to_string(), "0.1234");
    }

    proptest! {
        #[test]
        fn display_round_trips(fen in -MAX_FEN..MAX_FEN) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::from_yuan_str(&m.to_string()).unwrap(), m);
        }

        #[test]
        fn rounding_matches_exact_arithmetic(fen in 0i64..10_000_000_000, r in 0u32..=10_000) {
            let m = Money::from_fen(fen).mul_ratio(Ratio::from_ten_thousandths(r));
            let exact = i128::from(fen) * i128::from(r);
            // Within half a fen of the exact product, ties going up.
            let diff = i128::from(m.fen()) * 10_000 - exact;
            prop_assert!(diff > -5000 && diff <= 5000, "diff {}", diff);
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = Money::from_yuan_str(&s);
            let _ = Ratio::parse(&s);
        }
    }
}
