//! Languages of the pages: Simplified Chinese first, English as the second
//! catalogue.
//!
//! Messages are written in Chinese in the code, gettext style: the Chinese
//! text is the key, and `locales/en.tsv` (embedded in the binary) gives the
//! English of each. A text missing from the catalogue shows in Chinese; a
//! test checks that every text passed to [`t`] has its English line.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文
    #[default]
    Zh,
    /// English
    En,
}

impl Lang {
    /// From a cookie or query value.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The value of `lang` attributes and cookies.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

const CATALOGUE: &str = include_str!("../locales/en.tsv");

/// The English catalogue: Chinese text → English text.
pub fn english() -> &'static HashMap<&'static str, &'static str> {
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        CATALOGUE
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .collect()
    })
}

/// `zh` in `lang`.
pub fn t(lang: Lang, zh: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => english().get(zh).copied().unwrap_or(zh),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Chinese text given to `t` in the sources has an English line.
    #[test]
    fn every_text_has_its_english() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            if p.ends_with("i18n.rs") {
                continue;
            }
            for (i, _) in text.match_indices("t(lang, \"") {
                let rest = &text[i + 9..];
                let zh = &rest[..rest.find('"').unwrap()];
                if !english().contains_key(zh) {
                    missing.push(format!("{}: {zh}", p.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "no English for:\n{}",
            missing.join("\n")
        );
    }
}
