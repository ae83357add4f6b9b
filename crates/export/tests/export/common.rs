//! Helpers: a sample sheet and readers for written workbooks.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use jianfu_export::{Column, Kind, Sheet};

/// A sheet with one column of each kind that matters to the rules.
pub fn people() -> Sheet {
    Sheet::new(
        "人员",
        vec![
            Column::text("姓名"),
            Column::new("身份证号", Kind::IdNumber),
            Column::new("联系电话", Kind::Phone),
            Column::new("人数", Kind::Integer),
            Column::new("金额", Kind::Money),
            Column::new("比例", Kind::Percent),
        ],
    )
}

/// Every sheet of a workbook: its name and rows.
pub fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut wb = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an XLSX file");
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("sheet");
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

/// One file of the XLSX zip, as text.
pub fn entry(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut s = String::new();
    z.by_name(name)
        .expect("entry")
        .read_to_string(&mut s)
        .expect("utf-8");
    s
}
