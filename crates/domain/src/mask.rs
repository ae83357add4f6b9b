//! How personal numbers are shown to someone who has not asked (with a
//! reason, audited) to see them whole.
//!
//! A masked form must not let the whole number be rebuilt from what is
//! shown beside it. An ID number keeps its first six (the region) and last
//! four characters ([`crate::mask_middle`]); the eight hidden digits are the
//! birth date, so a masked view shows an age, never the birth date. A
//! mobile number keeps its first three and last four digits
//! (`183****0117`), the common display rule. Free text (an unmask reason,
//! a note) can hold numbers typed by hand: [`mask_numbers_in_text`] masks
//! every run of digits long enough to be an ID or phone number.

use crate::mask_middle;

/// A phone number masked as `183****0117`: the first three and last four
/// digits kept, at least four hidden; a short number keeps only its last
/// two. Separators (`-`, spaces) are kept in place.
pub fn mask_phone(value: &str) -> String {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let (head, tail) = if digits >= 11 {
        (3, 4)
    } else if digits >= 8 {
        (0, 4)
    } else {
        (0, 2.min(digits))
    };
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= head || seen > digits - tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// The shortest run of digits treated as a personal number in free text:
/// seven digits make a local phone number.
const MIN_RUN: usize = 7;

/// The length of a full region code, left as it is.
const REGION_CODE_LEN: usize = 12;

/// Free text with every run of at least seven digits masked: an 18- or
/// 15-character ID number (a final `X` included) as an ID, anything else
/// as a phone number. Shorter numbers (amounts, dates, codes) stay, and so
/// do runs of exactly twelve digits: region codes, which are not personal.
pub fn mask_numbers_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        // An ID number may end in X.
        if i - start == 17 && i < chars.len() && matches!(chars[i], 'X' | 'x') {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        out.push_str(&mask_run(&run));
    }
    out
}

fn mask_run(run: &str) -> String {
    match run.len() {
        n if n < MIN_RUN || n == REGION_CODE_LEN => run.to_string(),
        15 | 18 => mask_middle(run),
        _ => mask_phone(run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_three_and_four() {
        assert_eq!(mask_phone("18399510117"), "183****0117");
        assert_eq!(mask_phone("183-9951-0117"), "183-****-0117");
        assert_eq!(mask_phone("+8618399510117"), "+861******0117");
        assert_eq!(mask_phone("03115678901"), "031****8901");
        assert_eq!(mask_phone("5678901"), "*****01");
        assert_eq!(mask_phone("12345678"), "****5678");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn numbers_in_free_text_are_masked() {
        let text =
            "户主130624197001020011说电话18399510117，另：130624700102001，住院3天共12345.6元";
        let masked = mask_numbers_in_text(text);
        assert_eq!(
            masked,
            "户主130624********0011说电话183****0117，另：130624*****2001，住院3天共12345.6元"
        );
        assert!(!masked.contains("19700102"));
        let id = "查看13062419700102001X的信息";
        assert_eq!(mask_numbers_in_text(id), "查看130624********001X的信息");
        assert_eq!(mask_numbers_in_text("没有号码"), "没有号码");
        assert_eq!(mask_numbers_in_text("村 130624101201"), "村 130624101201");
        assert_eq!(
            mask_numbers_in_text("座机 0311-5678901"),
            "座机 0311-*****01"
        );
    }
}
