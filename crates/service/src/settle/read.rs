//! The parallel reader of claims files: one thread cuts the file into
//! blocks that end on a record boundary (outside quotes), worker threads
//! parse blocks, and the caller's thread puts the parsed blocks back in
//! file order.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use jianfu_domain::{ClaimKind, FacilityLevel, GroupSet, Money};
use jianfu_policy::{BatchClaim, ClaimInput};

use super::parse::{Col, Layout, RowProblem, parse_row, record_end, split_record};
use super::{Claims, SettleError, Status, fx_hash};

const BLOCK: usize = 4 << 20;

/// One parsed block, rows numbered from the block's start.
struct Parsed {
    seq: usize,
    claims: Vec<BatchClaim>,
    status: Vec<Status>,
    ids: Vec<u8>,
    id_ends: Vec<u32>,
    hashes: Vec<u64>,
    /// Bytes of the block, to estimate the rows of the whole file.
    bytes: usize,
    reversals: Vec<(u32, Vec<u8>)>,
    problems: Vec<(u32, RowProblem)>,
}

const EMPTY_CLAIM: BatchClaim = BatchClaim {
    person: 0,
    settled_at: 0,
    year: 0,
    input: ClaimInput {
        kind: ClaimKind::Outpatient,
        level: FacilityLevel::Township,
        county_internal: false,
        groups: GroupSet::EMPTY,
        total: Money::ZERO,
        policy_scope: Money::ZERO,
    },
};

pub(super) fn read_file(
    path: &Path,
    threads: usize,
    today: NaiveDate,
) -> Result<Claims, SettleError> {
    let io = |e| SettleError::io(path, e);
    let mut reader = BufReader::with_capacity(1 << 16, File::open(path).map_err(io)?);
    let mut header = Vec::new();
    reader.read_until(b'\n', &mut header).map_err(io)?;
    let header_text = header
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(&header);
    if header_text.iter().all(u8::is_ascii_whitespace) {
        return Err(SettleError::Empty(path.to_path_buf()));
    }
    let header_text = String::from_utf8_lossy(header_text);
    let mut fields = Vec::new();
    split_record(&header_text, 0, &mut fields);
    let layout = Layout::from_header(&fields).map_err(|missing| SettleError::MissingColumns {
        file: path.to_path_buf(),
        missing: missing
            .iter()
            .map(|c| format!("{}（{}）", c.name(), c.label()))
            .collect::<Vec<_>>()
            .join("、"),
    })?;
    let file_name: Arc<str> = path
        .file_name()
        .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy())
        .into();
    let mut out = Claims {
        file: file_name,
        claims: Vec::new(),
        status: Vec::new(),
        ids: Vec::new(),
        id_ends: Vec::new(),
        hashes: Vec::new(),
        reversals: Vec::new(),
        problems: Vec::new(),
    };
    let file_len = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
    let threads = threads.max(1);
    let mut failure = None;
    std::thread::scope(|s| {
        let (block_tx, block_rx) = sync_channel::<(usize, Vec<u8>)>(threads + 1);
        let (done_tx, done_rx) = sync_channel::<Parsed>(threads + 1);
        let block_rx = Arc::new(Mutex::new(block_rx));
        let cutter = s.spawn(move || cut_blocks(reader, block_tx));
        for _ in 0..threads {
            let (rx, tx, layout) = (block_rx.clone(), done_tx.clone(), &layout);
            s.spawn(move || parse_blocks(&rx, &tx, layout, today));
        }
        drop(done_tx);
        let mut pending = BTreeMap::new();
        let mut next = 0;
        for parsed in done_rx {
            pending.insert(parsed.seq, parsed);
            while let Some(p) = pending.remove(&next) {
                if next == 0 {
                    reserve(&mut out, &p, file_len);
                }
                append(&mut out, p);
                next += 1;
            }
        }
        if let Err(e) = cutter.join().expect("the block reader panicked") {
            failure = Some(io(e));
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    if out.claims.len() >= u32::MAX as usize || out.ids.len() >= u32::MAX as usize {
        return Err(SettleError::TooLarge(path.to_path_buf()));
    }
    Ok(out)
}

/// Sizes the vectors for the whole file from its first block, so that
/// they are not copied as they grow.
fn reserve(out: &mut Claims, first: &Parsed, file_len: usize) {
    let rows = first.claims.len().max(1);
    let estimate = (file_len as f64 / first.bytes.max(1) as f64 * rows as f64 * 1.02) as usize;
    let id_bytes = first.ids.len() * estimate / rows;
    out.claims.reserve(estimate);
    out.status.reserve(estimate);
    out.id_ends.reserve(estimate);
    out.hashes.reserve(estimate);
    out.ids.reserve(id_bytes + id_bytes / 50);
}

fn append(out: &mut Claims, p: Parsed) {
    let base = out.claims.len() as u32;
    // Offsets past 4 GiB of ids wrap; read_file refuses such files.
    let id_base = out.ids.len() as u32;
    out.claims.extend_from_slice(&p.claims);
    out.status.extend_from_slice(&p.status);
    out.ids.extend_from_slice(&p.ids);
    out.hashes.extend_from_slice(&p.hashes);
    out.id_ends
        .extend(p.id_ends.iter().map(|e| e.wrapping_add(id_base)));
    out.reversals
        .extend(p.reversals.into_iter().map(|(r, t)| (r + base, t)));
    out.problems
        .extend(p.problems.into_iter().map(|(r, e)| (r + base, e)));
}

/// Reads blocks that end after a record's line break outside quotes.
fn cut_blocks(mut reader: impl Read, tx: SyncSender<(usize, Vec<u8>)>) -> std::io::Result<()> {
    let mut carry: Vec<u8> = Vec::new();
    let mut seq = 0;
    loop {
        let mut block = std::mem::take(&mut carry);
        let start = block.len();
        block.resize(start + BLOCK, 0);
        let mut filled = start;
        while filled < block.len() {
            let n = reader.read(&mut block[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        block.truncate(filled);
        let eof = filled < start + BLOCK;
        if !eof {
            match record_boundary(&block) {
                Some(cut) => carry = block.split_off(cut),
                // One record longer than a block: keep reading it.
                None => {
                    carry = block;
                    continue;
                }
            }
        }
        if !block.is_empty() && tx.send((seq, block)).is_err() {
            return Ok(());
        }
        seq += 1;
        if eof {
            return Ok(());
        }
    }
}

/// The position after the last line break that lies outside quotes.
fn record_boundary(block: &[u8]) -> Option<usize> {
    if !block.contains(&b'"') {
        return block.iter().rposition(|&b| b == b'\n').map(|p| p + 1);
    }
    let mut in_quotes = false;
    let mut last = None;
    for (i, &b) in block.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => last = Some(i + 1),
            _ => {}
        }
    }
    last
}

fn parse_blocks(
    rx: &Mutex<Receiver<(usize, Vec<u8>)>>,
    tx: &SyncSender<Parsed>,
    layout: &Layout,
    today: NaiveDate,
) {
    loop {
        let next = rx.lock().expect("block queue poisoned").recv();
        let Ok((seq, block)) = next else { return };
        if tx.send(parse_block(seq, &block, layout, today)).is_err() {
            return;
        }
    }
}

fn parse_block(seq: usize, block: &[u8], layout: &Layout, today: NaiveDate) -> Parsed {
    let estimate = block.len() / 100 + 16;
    let mut p = Parsed {
        seq,
        claims: Vec::with_capacity(estimate),
        status: Vec::with_capacity(estimate),
        ids: Vec::with_capacity(estimate * 14),
        id_ends: Vec::with_capacity(estimate),
        hashes: Vec::with_capacity(estimate),
        bytes: block.len(),
        reversals: Vec::new(),
        problems: Vec::new(),
    };
    let mut fields: Vec<Cow<'_, str>> = Vec::with_capacity(16);
    match std::str::from_utf8(block) {
        Ok(text) => {
            let mut pos = 0;
            while pos < text.len() {
                pos = split_record(text, pos, &mut fields);
                p.record(&fields, layout, today);
            }
        }
        // Some row is not UTF-8: find it, and parse the others.
        Err(_) => {
            let mut pos = 0;
            while pos < block.len() {
                let end = record_end(block, pos);
                match std::str::from_utf8(&block[pos..end]) {
                    Ok(text) => {
                        split_record(text, 0, &mut fields);
                        p.record(&fields, layout, today);
                    }
                    Err(_) => p.undecodable(),
                }
                pos = end;
            }
        }
    }
    p
}

impl Parsed {
    fn push_id(&mut self, id: &str) {
        self.ids.extend_from_slice(id.as_bytes());
        self.id_ends.push(self.ids.len() as u32);
        self.hashes.push(fx_hash(id.as_bytes()));
    }

    fn reject(&mut self, problem: RowProblem) {
        let row = self.claims.len() as u32;
        self.claims.push(EMPTY_CLAIM);
        self.status.push(Status::Rejected);
        self.problems.push((row, problem));
    }

    fn undecodable(&mut self) {
        self.push_id("");
        self.reject(RowProblem {
            column: "",
            value: String::new(),
            problem:
                "该行含有无法识别的字符：文件应为 UTF-8 编码（可在 Excel 中另存为“CSV UTF-8”）"
                    .into(),
            code: "bad_encoding",
        });
    }

    fn record(&mut self, fields: &[Cow<'_, str>], layout: &Layout, today: NaiveDate) {
        if fields.iter().all(|f| f.trim_ascii().is_empty()) {
            self.push_id("");
            self.claims.push(EMPTY_CLAIM);
            self.status.push(Status::Blank);
            return;
        }
        let id = layout.claim_id(fields);
        self.push_id(id);
        if id.is_empty() {
            return self.reject(RowProblem {
                column: Col::ClaimId.label(),
                value: String::new(),
                problem: "缺少结算单号".into(),
                code: "missing_value",
            });
        }
        match parse_row(layout, fields, today) {
            Ok(r) => {
                let row = self.claims.len() as u32;
                self.claims.push(r.claim);
                if r.reverses.is_empty() {
                    self.status.push(Status::Standing);
                } else {
                    self.status.push(Status::Reversal);
                    self.reversals.push((row, r.reverses.as_bytes().to_vec()));
                }
            }
            Err(e) => self.reject(e),
        }
    }
}
