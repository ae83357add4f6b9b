//! Arbitrary bytes as a persons file through the whole first and second
//! pass: table reading (format and encoding detection, CSV or workbook),
//! row parsing and the cross-row checks. Nothing may panic, and the two
//! passes must agree.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use jianfu_ingest::report::NullSink;
use jianfu_ingest::{ImportOptions, PersonsReader, VillageCheck, check_persons_file};
use libfuzzer_sys::fuzz_target;

/// One scratch file per fuzzing process (the readers take paths).
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("jianfu-fuzz-persons-{}.csv", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    if std::fs::write(path, data).is_err() {
        return;
    }
    let opts = ImportOptions::new(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
    let villages = |c: &jianfu_domain::RegionCode| {
        if c.as_str().ends_with('9') { VillageCheck::NotFound } else { VillageCheck::Ok }
    };
    let Ok(outcome) = check_persons_file(path, &opts, &villages, &mut NullSink, &mut |_| {}) else {
        return;
    };
    assert!(outcome.rejected.len() <= outcome.data_rows);
    let mut reader = PersonsReader::open_checked(path, &opts, &outcome).expect("reopens");
    let mut accepted = 0u64;
    while let Some((row, _)) = reader.next_accepted(&outcome).expect("second pass agrees") {
        assert!(!outcome.rejected.contains(row));
        accepted += 1;
    }
    assert_eq!(accepted, outcome.accepted_rows());
});
