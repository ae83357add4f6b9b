//! Integration tests of jianfu-export: the files read back as a user's
//! spreadsheet would read them (CSV as text, XLSX through calamine and
//! the workbook's own XML).

mod common;
mod csv;
mod xlsx;
