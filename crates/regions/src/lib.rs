//! The 2023 statistical division codes (统计用区划代码, NBS release as of
//! 2023-06-30), shipped inside the binary: 31 provinces, 342 prefectures,
//! 2,978 counties, 41,352 townships and 620,573 villages. Codes that
//! coincide once padded to 12 digits are kept once, at the higher level:
//! the prefectures without counties (东莞, 中山, 儋州) and the placeholder
//! township and village of 金门县, leaving 665,271 distinct codes.
//!
//! The data lives in `data/regions/2023/PP.tsv.gz`, one gzip file per
//! province with lines `code<TAB>level<TAB>name`, built from the shared
//! release by `scripts/build-regions.py`. Reading is streaming: one
//! province is decompressed at a time.

use std::io::{BufRead, BufReader};

use flate2::read::GzDecoder;
use jianfu_domain::{RegionCode, RegionLevel};

/// The edition of the division codes.
pub const EDITION: u16 = 2023;

/// One division of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// 12-digit code.
    pub code: RegionCode,
    /// Level in the tree.
    pub level: RegionLevel,
    /// Official name.
    pub name: String,
}

const PROVINCES: &[(&str, &[u8])] = &[
    ("11", include_bytes!("../../../data/regions/2023/11.tsv.gz")),
    ("12", include_bytes!("../../../data/regions/2023/12.tsv.gz")),
    ("13", include_bytes!("../../../data/regions/2023/13.tsv.gz")),
    ("14", include_bytes!("../../../data/regions/2023/14.tsv.gz")),
    ("15", include_bytes!("../../../data/regions/2023/15.tsv.gz")),
    ("21", include_bytes!("../../../data/regions/2023/21.tsv.gz")),
    ("22", include_bytes!("../../../data/regions/2023/22.tsv.gz")),
    ("23", include_bytes!("../../../data/regions/2023/23.tsv.gz")),
    ("31", include_bytes!("../../../data/regions/2023/31.tsv.gz")),
    ("32", include_bytes!("../../../data/regions/2023/32.tsv.gz")),
    ("33", include_bytes!("../../../data/regions/2023/33.tsv.gz")),
    ("34", include_bytes!("../../../data/regions/2023/34.tsv.gz")),
    ("35", include_bytes!("../../../data/regions/2023/35.tsv.gz")),
    ("36", include_bytes!("../../../data/regions/2023/36.tsv.gz")),
    ("37", include_bytes!("../../../data/regions/2023/37.tsv.gz")),
    ("41", include_bytes!("../../../data/regions/2023/41.tsv.gz")),
    ("42", include_bytes!("../../../data/regions/2023/42.tsv.gz")),
    ("43", include_bytes!("../../../data/regions/2023/43.tsv.gz")),
    ("44", include_bytes!("../../../data/regions/2023/44.tsv.gz")),
    ("45", include_bytes!("../../../data/regions/2023/45.tsv.gz")),
    ("46", include_bytes!("../../../data/regions/2023/46.tsv.gz")),
    ("50", include_bytes!("../../../data/regions/2023/50.tsv.gz")),
    ("51", include_bytes!("../../../data/regions/2023/51.tsv.gz")),
    ("52", include_bytes!("../../../data/regions/2023/52.tsv.gz")),
    ("53", include_bytes!("../../../data/regions/2023/53.tsv.gz")),
    ("54", include_bytes!("../../../data/regions/2023/54.tsv.gz")),
    ("61", include_bytes!("../../../data/regions/2023/61.tsv.gz")),
    ("62", include_bytes!("../../../data/regions/2023/62.tsv.gz")),
    ("63", include_bytes!("../../../data/regions/2023/63.tsv.gz")),
    ("64", include_bytes!("../../../data/regions/2023/64.tsv.gz")),
    ("65", include_bytes!("../../../data/regions/2023/65.tsv.gz")),
];

/// The two-digit province prefixes that have data.
pub fn provinces() -> impl Iterator<Item = &'static str> {
    PROVINCES.iter().map(|(p, _)| *p)
}

/// Every region whose code starts with `prefix` (empty for the whole
/// country), in code order. Only the provinces the prefix can touch are
/// decompressed.
pub fn regions(prefix: &str) -> impl Iterator<Item = Region> + '_ {
    PROVINCES
        .iter()
        .filter(move |(p, _)| p.starts_with(&prefix[..prefix.len().min(2)]))
        .flat_map(|(_, bytes)| BufReader::new(GzDecoder::new(*bytes)).lines())
        .map(|line| parse_line(&line.expect("shipped region data decompresses")))
        .filter(move |r| r.code.as_str().starts_with(prefix))
}

fn parse_line(line: &str) -> Region {
    let mut parts = line.splitn(3, '\t');
    let (code, level, name) = (parts.next(), parts.next(), parts.next());
    let code = RegionCode::parse(code.unwrap_or_default()).expect("shipped region codes are valid");
    let level = level
        .and_then(|l| l.parse().ok())
        .and_then(RegionLevel::from_number)
        .expect("shipped region levels are 1-5");
    Region {
        code,
        level,
        name: name.unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuping_county_has_its_real_villages() {
        let all: Vec<Region> = regions("130624").collect();
        assert_eq!(all[0].name, "阜平县");
        assert_eq!(all[0].level, RegionLevel::County);
        let village = all
            .iter()
            .find(|r| r.code.as_str() == "130624100200")
            .unwrap();
        assert_eq!(village.name, "城厢村村民委员会");
        assert_eq!(village.level, RegionLevel::Village);
        assert!(
            all.iter()
                .filter(|r| r.level == RegionLevel::Township)
                .count()
                >= 13
        );
    }

    #[test]
    fn whole_country_counts() {
        let mut counts = [0usize; 6];
        for r in regions("") {
            counts[r.level as usize] += 1;
        }
        assert_eq!(counts[1], 31);
        assert_eq!(counts[2], 342);
        assert_eq!(counts[3], 2_975);
        assert_eq!(counts[4], 41_351);
        assert_eq!(counts[5], 620_572);
    }
}
