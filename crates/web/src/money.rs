//! Amounts as county staff read them on screen: yuan with thousands
//! separators (`49,338,350.77`), and on the dashboard's cards, sums of ten
//! thousand yuan or more in 万 (or 亿 from a hundred million), two
//! decimals, rounded half away from zero (`4,933.84万`), with the whole
//! amount kept for the tooltip. Exports keep the whole amount: this is for
//! HTML only.

/// Yuan with thousands separators and two decimals: `-1,234.50`.
pub fn grouped(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", group(abs / 100), abs % 100)
}

/// The digits of `n` in groups of three: `49,338,350`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 万 is 10,000 yuan, 亿 is 100,000,000 yuan (in fen).
const WAN: u64 = 1_000_000;
const YI: u64 = 10_000_000_000;

/// The short form for a card: below 10,000.00 yuan as [`grouped`], else
/// in 万 (below 1亿) or 亿 with two decimals: `1.00万`, `4,933.84万`,
/// `1.23亿`. An amount that rounds up to the next unit moves to it
/// (99,999,999.99 is `1.00亿`, not `10,000.00万`).
pub fn compact(fen: i64) -> String {
    let (number, unit) = compact_parts(fen);
    number + unit
}

/// [`compact`] as its number and its unit (`万`, `亿` or empty), for a
/// page that sets the unit smaller: (`4,933.84`, `万`).
pub fn compact_parts(fen: i64) -> (String, &'static str) {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    if abs < WAN {
        return (grouped(fen), "");
    }
    let in_wan = round_div(abs, WAN / 100);
    let (hundredths, unit) = if in_wan < 1_000_000 {
        (in_wan, "万")
    } else {
        (round_div(abs, YI / 100), "亿")
    };
    let number = format!("{sign}{}.{:02}", group(hundredths / 100), hundredths % 100);
    (number, unit)
}

/// `n / d` rounded half up (both positive).
fn round_div(n: u64, d: u64) -> u64 {
    (n + d / 2) / d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_amounts() {
        assert_eq!(grouped(0), "0.00");
        assert_eq!(grouped(5), "0.05");
        assert_eq!(grouped(-5), "-0.05");
        assert_eq!(grouped(99_999), "999.99");
        assert_eq!(grouped(999_999), "9,999.99");
        assert_eq!(grouped(-123_456_789), "-1,234,567.89");
        assert_eq!(grouped(4_933_835_077), "49,338,350.77");
        assert_eq!(grouped(i64::MIN), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn compact_amounts() {
        assert_eq!(compact(0), "0.00");
        assert_eq!(compact(999_999), "9,999.99");
        assert_eq!(compact(-999_999), "-9,999.99");
        assert_eq!(compact(1_000_000), "1.00万");
        assert_eq!(compact(-1_000_000), "-1.00万");
        assert_eq!(compact(4_933_835_077), "4,933.84万");
        // Half away from zero at the hundredth of 万 (100 yuan).
        assert_eq!(compact(1_234_999), "1.23万");
        assert_eq!(compact(1_235_000), "1.24万");
        assert_eq!(compact(-1_235_000), "-1.24万");
        assert_eq!(compact(9_999_999_999), "1.00亿");
        assert_eq!(compact(9_999_949_999), "9,999.95万");
        assert_eq!(compact(12_345_678_900), "1.23亿");
        assert_eq!(compact(123_456_789_012_345), "12,345.68亿");
        assert_eq!(compact_parts(4_933_835_077), ("4,933.84".into(), "万"));
        assert_eq!(compact_parts(999_999), ("9,999.99".into(), ""));
    }
}
