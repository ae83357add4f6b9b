//! Blood pressure and fasting glucose as checked values, with the
//! thresholds that every rule of the crate compares against.
//!
//! Glucose is held in tenths of mmol/L (`68` is 6.8 mmol/L) so that the
//! thresholds 3.9, 7.0 and 16.7 compare exactly: a float 7.0 read from a
//! file is not always 7.0. The plausible ranges are wide on purpose: they
//! catch typing errors (an SBP of 1400, a glucose of 68 meant as 6.8 is
//! still plausible and cannot be caught), not unusual patients.

use std::fmt;

use thiserror::Error;

/// Lowest plausible systolic pressure, mmHg.
pub const SYSTOLIC_MIN: u32 = 60;
/// Highest plausible systolic pressure, mmHg.
pub const SYSTOLIC_MAX: u32 = 300;
/// Lowest plausible diastolic pressure, mmHg.
pub const DIASTOLIC_MIN: u32 = 30;
/// Highest plausible diastolic pressure, mmHg.
pub const DIASTOLIC_MAX: u32 = 200;
/// Lowest plausible glucose, tenths of mmol/L (1.0).
pub const GLUCOSE_MIN: u32 = 10;
/// Highest plausible glucose, tenths of mmol/L (50.0; meters read "HI" above 33.3).
pub const GLUCOSE_MAX: u32 = 500;

/// Danger pressure: SBP ≥ 180 or DBP ≥ 110.
pub const BP_DANGER: (u16, u16) = (180, 110);
/// Raised pressure under 65: SBP ≥ 140 or DBP ≥ 90 (also the home rule).
pub const BP_HIGH: (u16, u16) = (140, 90);
/// Raised pressure at 65 and over: SBP ≥ 150 or DBP ≥ 90.
pub const BP_HIGH_65: (u16, u16) = (150, 90);
/// Age from which [`BP_HIGH_65`] applies at a visit.
pub const ELDERLY_AGE: u32 = 65;
/// Danger glucose, high side: ≥ 16.7 mmol/L.
pub const GLUCOSE_DANGER_HIGH: u16 = 167;
/// Danger glucose, low side: ≤ 3.9 mmol/L.
pub const GLUCOSE_DANGER_LOW: u16 = 39;
/// Raised fasting glucose: ≥ 7.0 mmol/L.
pub const GLUCOSE_HIGH: u16 = 70;

/// Why a measured value is refused. Each variant names its field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeasureError {
    /// Systolic pressure outside the plausible range.
    #[error("收缩压 {value} mmHg 超出合理范围 {SYSTOLIC_MIN}–{SYSTOLIC_MAX}")]
    Systolic {
        /// The value given.
        value: u32,
    },
    /// Diastolic pressure outside the plausible range.
    #[error("舒张压 {value} mmHg 超出合理范围 {DIASTOLIC_MIN}–{DIASTOLIC_MAX}")]
    Diastolic {
        /// The value given.
        value: u32,
    },
    /// Systolic not above diastolic: the columns are likely swapped.
    #[error("收缩压 {systolic} 应高于舒张压 {diastolic}（两列是否填反？）")]
    Order {
        /// Systolic given.
        systolic: u32,
        /// Diastolic given.
        diastolic: u32,
    },
    /// Glucose outside the plausible range.
    #[error("血糖 {} mmol/L 超出合理范围 1.0–50.0", tenths_text(*tenths))]
    Glucose {
        /// The value given, in tenths of mmol/L.
        tenths: u32,
    },
    /// Glucose text that is not a number with at most one decimal.
    #[error("“{text}”不是有效的血糖值（mmol/L，最多一位小数，如 6.8）")]
    GlucoseText {
        /// The text given.
        text: String,
    },
}

impl MeasureError {
    /// The English field name the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            MeasureError::Systolic { .. } | MeasureError::Order { .. } => "systolic",
            MeasureError::Diastolic { .. } => "diastolic",
            MeasureError::Glucose { .. } | MeasureError::GlucoseText { .. } => "glucose",
        }
    }
}

/// A checked blood-pressure pair in mmHg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bp {
    systolic: u16,
    diastolic: u16,
}

impl Bp {
    /// Checks each value against its plausible range and SBP > DBP.
    pub fn new(systolic: u32, diastolic: u32) -> Result<Bp, MeasureError> {
        if !(SYSTOLIC_MIN..=SYSTOLIC_MAX).contains(&systolic) {
            return Err(MeasureError::Systolic { value: systolic });
        }
        if !(DIASTOLIC_MIN..=DIASTOLIC_MAX).contains(&diastolic) {
            return Err(MeasureError::Diastolic { value: diastolic });
        }
        if systolic <= diastolic {
            return Err(MeasureError::Order {
                systolic,
                diastolic,
            });
        }
        Ok(Bp {
            systolic: systolic as u16,
            diastolic: diastolic as u16,
        })
    }

    /// Systolic pressure (收缩压), mmHg.
    pub fn systolic(self) -> u16 {
        self.systolic
    }

    /// Diastolic pressure (舒张压), mmHg.
    pub fn diastolic(self) -> u16 {
        self.diastolic
    }

    /// True when either value reaches its limit in `limit` (SBP, DBP).
    pub fn reaches(self, limit: (u16, u16)) -> bool {
        self.systolic >= limit.0 || self.diastolic >= limit.1
    }

    /// SBP ≥ 180 or DBP ≥ 110.
    pub fn is_danger(self) -> bool {
        self.reaches(BP_DANGER)
    }

    /// SBP ≥ 140 or DBP ≥ 90.
    pub fn is_high(self) -> bool {
        self.reaches(BP_HIGH)
    }
}

impl fmt::Display for Bp {
    /// `146/92`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.systolic, self.diastolic)
    }
}

/// A checked glucose value in tenths of mmol/L.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Glucose(u16);

impl Glucose {
    /// Checks a value in tenths of mmol/L against the plausible range.
    pub fn from_tenths(tenths: u32) -> Result<Glucose, MeasureError> {
        if !(GLUCOSE_MIN..=GLUCOSE_MAX).contains(&tenths) {
            return Err(MeasureError::Glucose { tenths });
        }
        Ok(Glucose(tenths as u16))
    }

    /// Parses `6.8` or `7` (mmol/L, at most one decimal), then checks the range.
    pub fn parse(text: &str) -> Result<Glucose, MeasureError> {
        let bad = || MeasureError::GlucoseText {
            text: text.to_string(),
        };
        let s = text.trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(frac) || frac.len() != 1 {
            return Err(bad());
        }
        let tenths = whole.parse::<u32>().map_err(|_| bad())? * 10
            + frac.parse::<u32>().map_err(|_| bad())?;
        Glucose::from_tenths(tenths)
    }

    /// The value in tenths of mmol/L.
    pub fn tenths(self) -> u16 {
        self.0
    }

    /// ≥ 16.7 or ≤ 3.9 mmol/L.
    pub fn is_danger(self) -> bool {
        self.0 >= GLUCOSE_DANGER_HIGH || self.0 <= GLUCOSE_DANGER_LOW
    }

    /// ≥ 7.0 mmol/L.
    pub fn is_high(self) -> bool {
        self.0 >= GLUCOSE_HIGH
    }
}

impl fmt::Display for Glucose {
    /// `16.9`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tenths_text(u32::from(self.0)))
    }
}

/// Tenths as a one-decimal number: `169` → `16.9`.
pub(crate) fn tenths_text(tenths: u32) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_ranges_name_the_field() {
        assert_eq!(Bp::new(146, 92).unwrap().to_string(), "146/92");
        assert_eq!(Bp::new(1460, 92).unwrap_err().field(), "systolic");
        assert_eq!(Bp::new(146, 9).unwrap_err().field(), "diastolic");
        assert!(matches!(Bp::new(80, 120), Err(MeasureError::Order { .. })));
        assert!(Bp::new(SYSTOLIC_MIN, DIASTOLIC_MIN).is_ok());
        assert!(Bp::new(SYSTOLIC_MAX, DIASTOLIC_MAX).is_ok());
    }

    #[test]
    fn pressure_thresholds() {
        let bp = |s, d| Bp::new(s, d).unwrap();
        assert!(bp(180, 96).is_danger() && bp(150, 110).is_danger());
        assert!(!bp(179, 109).is_danger());
        assert!(bp(140, 80).is_high() && bp(130, 90).is_high());
        assert!(!bp(139, 89).is_high());
        assert!(bp(149, 85).is_high() && !bp(149, 85).reaches(BP_HIGH_65));
    }

    #[test]
    fn glucose_text_is_strict() {
        assert_eq!(Glucose::parse("16.9").unwrap().tenths(), 169);
        assert_eq!(Glucose::parse(" 7 ").unwrap().tenths(), 70);
        assert_eq!(Glucose::parse("7.0").unwrap().to_string(), "7.0");
        for bad in ["", "7.", ".5", "6.85", "-3.0", "6,8", "abc", "1e1"] {
            assert!(
                matches!(Glucose::parse(bad), Err(MeasureError::GlucoseText { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            Glucose::parse("68"),
            Err(MeasureError::Glucose { tenths: 680 })
        ));
        assert!(matches!(
            Glucose::parse("0.9"),
            Err(MeasureError::Glucose { .. })
        ));
    }

    #[test]
    fn glucose_thresholds() {
        let g = |t| Glucose::from_tenths(t).unwrap();
        assert!(g(167).is_danger() && g(39).is_danger());
        assert!(!g(166).is_danger() && !g(40).is_danger());
        assert!(g(70).is_high() && !g(69).is_high());
    }
}
