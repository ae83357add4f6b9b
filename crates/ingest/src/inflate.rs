//! An XLSX workbook is a zip archive whose parts can inflate a thousand
//! times over: before calamine reads one, its parts are measured, first
//! by the sizes the archive declares (free), then by inflating them and
//! counting the bytes, because a crafted archive can declare anything.
//! Counting stops at the limit, so a bomb costs at most the limit's worth
//! of inflation, not its whole size.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use zip::ZipArchive;

use crate::error::FileError;

/// Refuses the workbook at `path` when its parts together inflate past
/// `limit` bytes ([`FileError::XlsxTooLarge`]).
pub(crate) fn check_inflated_size(path: &Path, limit: u64) -> Result<(), FileError> {
    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
    let mut zip = ZipArchive::new(BufReader::new(file))
        .map_err(|_| FileError::corrupt("压缩包结构损坏或文件不完整"))?;
    let too_large = || FileError::XlsxTooLarge { limit };
    let mut declared = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|_| damaged())?;
        declared = declared.saturating_add(part.size());
    }
    if declared > limit {
        return Err(too_large());
    }
    let mut inflated = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|_| damaged())?;
        // One byte past what is left tells "over" from "exactly at".
        let left = limit - inflated;
        let n = io::copy(&mut part.take(left + 1), &mut io::sink()).map_err(|_| damaged())?;
        inflated += n;
        if inflated > limit {
            return Err(too_large());
        }
    }
    Ok(())
}

fn damaged() -> FileError {
    FileError::corrupt("压缩包中的部件无法解压")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn archive(path: &Path, part: &[u8]) {
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        zip.write_all(part).unwrap();
        zip.finish().unwrap();
    }

    #[test]
    fn parts_are_measured_against_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        archive(&path, &vec![b'x'; 100_000]);
        assert!(check_inflated_size(&path, 100_000).is_ok());
        let e = check_inflated_size(&path, 99_999).unwrap_err();
        assert_eq!(e.code(), "xlsx_too_large");
    }

    #[test]
    fn a_lying_declared_size_is_caught_while_inflating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        archive(&path, &vec![b'x'; 100_000]);
        // Declare 10 bytes in both headers: the sizes are little-endian
        // u32s at offsets 22 (local header) and 24 (central directory).
        let mut bytes = std::fs::read(&path).unwrap();
        let local = 22;
        bytes[local..local + 4].copy_from_slice(&10u32.to_le_bytes());
        let central = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap() + 24;
        bytes[central..central + 4].copy_from_slice(&10u32.to_le_bytes());
        std::fs::write(&path, bytes).unwrap();
        match check_inflated_size(&path, 50_000) {
            Err(e) => assert!(matches!(e.code(), "xlsx_too_large" | "file_corrupt"), "{e}"),
            Ok(()) => panic!("a 100 KB part declared as 10 bytes passed a 50 KB limit"),
        }
    }
}
