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

use super::parse::{Col, Layout, RowProblem, parse_row, split_record};
use super::{Claims, SettleError, Status};

const BLOCK: usize = 4 << 20;

/// One parsed block, rows numbered from the block's start.
struct Parsed {
    seq: usize,
    claims: Vec<BatchClaim>,
    status: Vec<Status>,
    ids: Vec<u8>,
    id_ends: Vec<usize>,
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
    let mut fields = Vec::new();
    split_record(header_text, 0, &mut fields);
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
        reversals: Vec::new(),
        problems: Vec::new(),
    };
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
    if out.claims.len() >= u32::MAX as usize {
        return Err(SettleError::TooLarge(path.to_path_buf()));
    }
    Ok(out)
}

fn append(out: &mut Claims, p: Parsed) {
    let base = out.claims.len() as u32;
    let id_base = out.ids.len();
    out.claims.extend_from_slice(&p.claims);
    out.status.extend_from_slice(&p.status);
    out.ids.extend_from_slice(&p.ids);
    out.id_ends.extend(p.id_ends.iter().map(|e| e + id_base));
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
        reversals: Vec::new(),
        problems: Vec::new(),
    };
    let mut fields: Vec<Cow<'_, [u8]>> = Vec::with_capacity(16);
    let mut pos = 0;
    while pos < block.len() {
        pos = split_record(block, pos, &mut fields);
        let row = p.claims.len() as u32;
        if fields.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            p.claims.push(EMPTY_CLAIM);
            p.status.push(Status::Blank);
            p.id_ends.push(p.ids.len());
            continue;
        }
        let id = layout.claim_id(&fields);
        p.ids.extend_from_slice(id);
        p.id_ends.push(p.ids.len());
        let parsed = if id.is_empty() {
            Err(RowProblem {
                column: Col::ClaimId.label(),
                value: String::new(),
                problem: "缺少结算单号".into(),
                code: "missing_value",
            })
        } else {
            parse_row(layout, &fields, today)
        };
        match parsed {
            Ok(r) => {
                p.claims.push(r.claim);
                if r.reverses.is_empty() {
                    p.status.push(Status::Standing);
                } else {
                    p.status.push(Status::Reversal);
                    p.reversals.push((row, r.reverses.to_vec()));
                }
            }
            Err(e) => {
                p.claims.push(EMPTY_CLAIM);
                p.status.push(Status::Rejected);
                p.problems.push((row, e));
            }
        }
    }
    p
}
