//! Batch settlement of a claims CSV under one policy (`jianfu settle`).
//!
//! The file is read in blocks of whole records that worker threads parse
//! into compact engine inputs (claim ids go to one byte arena), so memory
//! stays proportional to the number of claims, not to the file. Then
//! duplicates and reversals are resolved, the standing claims are settled
//! by person-year across threads, and the tiers are written in input order.
//! Bad rows never stop the run: each one is reported with its row number
//! and reason and left out of the output.

mod parse;
mod read;

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use hashbrown::HashTable;
use jianfu_domain::{GroupSet, IdCardNo, Money};
use jianfu_ingest::{RowError, Severity};
use jianfu_policy::{
    BatchClaim, Lang, Policy, Step, Tiers, YearState, explain, settle_batch_where,
};
use thiserror::Error;

use parse::RowProblem;

/// Why a claims file could not be settled at all.
#[derive(Debug, Error)]
pub enum SettleError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
    /// The file has no header row.
    #[error("{0}: 文件为空，缺少表头")]
    Empty(PathBuf),
    /// Required columns are missing from the header.
    #[error("{file}: 表头缺少列 {missing}")]
    MissingColumns {
        /// The file.
        file: PathBuf,
        /// The missing columns, English and Chinese names.
        missing: String,
    },
    /// More rows than one run can address.
    #[error("{0}: 行数超过 40 亿，请拆分文件")]
    TooLarge(PathBuf),
}

impl SettleError {
    fn io(path: &Path, source: io::Error) -> Self {
        SettleError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Status {
    /// A claim that stands: settled and written out.
    Standing,
    /// Could not be used; reported.
    Rejected,
    /// A reversal (冲销) of another row.
    Reversal,
    /// Reversed by a later or earlier row.
    Reversed,
    /// An empty line.
    Blank,
}

/// The rows of a claims file, parsed, in input order.
pub struct Claims {
    file: Arc<str>,
    claims: Vec<BatchClaim>,
    status: Vec<Status>,
    ids: Vec<u8>,
    id_ends: Vec<u32>,
    /// [`fx_hash`] of each claim id.
    hashes: Vec<u64>,
    /// (row, claim id it reverses) of every reversal row.
    reversals: Vec<(u32, Vec<u8>)>,
    /// (row, problem), sorted by row after [`Claims::resolve`].
    problems: Vec<(u32, RowProblem)>,
}

/// Counts of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettleSummary {
    /// Data rows read (blank lines included).
    pub rows: u64,
    /// Claims settled and written.
    pub settled: u64,
    /// Reversal rows applied.
    pub reversals: u64,
    /// Claims removed by a reversal.
    pub reversed: u64,
    /// Rows rejected.
    pub rejected: u64,
}

impl Claims {
    /// Reads and parses a claims CSV with `threads` parser threads. ID
    /// numbers are judged against `today`.
    pub fn read(path: &Path, threads: usize, today: NaiveDate) -> Result<Claims, SettleError> {
        let started = std::time::Instant::now();
        let mut claims = read::read_file(path, threads, today)?;
        tracing::debug!(rows = claims.claims.len(), elapsed = ?started.elapsed(), "claims parsed");
        claims.resolve(threads);
        tracing::debug!(elapsed = ?started.elapsed(), "claim ids and reversals resolved");
        Ok(claims)
    }

    fn id(&self, row: usize) -> &[u8] {
        let start = if row == 0 {
            0
        } else {
            self.id_ends[row - 1] as usize
        };
        &self.ids[start..self.id_ends[row] as usize]
    }

    fn reject(&mut self, row: usize, p: RowProblem) {
        self.status[row] = Status::Rejected;
        self.problems.push((row as u32, p));
    }

    /// Builds the claim-id index in `parts` tables (one thread each, split
    /// by hash) and finds the rows that repeat an earlier claim id:
    /// (row, first row).
    fn index(&self, parts: usize) -> (Vec<HashTable<u32>>, Vec<(u32, u32)>) {
        let results: Vec<IndexPart> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..parts)
                .map(|part| {
                    s.spawn(move || {
                        let mut table = HashTable::with_capacity(self.claims.len() / parts + 16);
                        let mut repeats = Vec::new();
                        for (row, &h) in self.hashes.iter().enumerate() {
                            if part_of(h, parts) != part || self.id(row).is_empty() {
                                continue;
                            }
                            let id = self.id(row);
                            match table.find(h, |&r| self.id(r as usize) == id) {
                                Some(&first) => repeats.push((row as u32, first)),
                                None => {
                                    table
                                        .insert_unique(h, row as u32, |&r| self.hashes[r as usize]);
                                }
                            }
                        }
                        (table, repeats)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an index thread panicked"))
                .collect()
        });
        let mut tables = Vec::with_capacity(parts);
        let mut repeats = Vec::new();
        for (t, r) in results {
            tables.push(t);
            repeats.extend(r);
        }
        (tables, repeats)
    }

    /// Applies the file-wide rules: unique claim ids, and reversals that
    /// point at a standing claim of the same person.
    fn resolve(&mut self, threads: usize) {
        let parts = threads.clamp(1, 16);
        let (tables, mut repeats) = self.index(parts);
        repeats.sort_unstable();
        for (row, first) in repeats {
            let p = problem_of(
                "结算单号",
                self.id(row as usize),
                format!("结算单号与第{}行重复", line_of(first as usize)),
                "duplicate_claim_id",
            );
            self.reject(row as usize, p);
        }
        let reversals = std::mem::take(&mut self.reversals);
        let found: Vec<Option<usize>> = reversals
            .iter()
            .map(|(_, id)| {
                let h = fx_hash(id);
                tables[part_of(h, parts)]
                    .find(h, |&r| self.id(r as usize) == &id[..])
                    .map(|&r| r as usize)
            })
            .collect();
        drop(tables);
        let mut outcomes = Vec::new();
        for ((row, target), found) in reversals.iter().zip(found) {
            let row = *row as usize;
            if self.status[row] != Status::Reversal {
                continue;
            }
            let refuse = |why: String, code| problem_of("冲销单号", target, why, code);
            let outcome = match found {
                None => Err(refuse(
                    "冲销的结算单号不在文件中".into(),
                    "unknown_reversed_claim",
                )),
                Some(t) if t == row => Err(refuse("结算单不能冲销自己".into(), "reverses_itself")),
                Some(t) => match self.status[t] {
                    Status::Rejected => Err(refuse(
                        format!("被冲销的第{}行本身有错误，未结算", line_of(t)),
                        "reversal_of_rejected",
                    )),
                    Status::Reversal => Err(refuse(
                        format!("第{}行是冲销单，冲销单不能再被冲销", line_of(t)),
                        "reversal_of_reversal",
                    )),
                    Status::Reversed => {
                        Err(refuse("该结算单已被另一行冲销".into(), "reversed_twice"))
                    }
                    _ if self.claims[t].person != self.claims[row].person => Err(refuse(
                        format!("冲销单与第{}行原结算单的身份证号不一致", line_of(t)),
                        "reversal_person_mismatch",
                    )),
                    _ => Ok(t),
                },
            };
            // A reversal refused earlier in the file must not count later.
            match outcome {
                Ok(t) => self.status[t] = Status::Reversed,
                Err(p) => {
                    self.status[row] = Status::Rejected;
                    outcomes.push((row, p));
                }
            }
        }
        for (row, p) in outcomes {
            self.reject(row, p);
        }
        self.reversals = reversals;
        self.problems.sort_by_key(|(row, _)| *row);
    }

    /// The problems found, as report rows, in row order.
    pub fn problems(&self) -> impl Iterator<Item = RowError> + '_ {
        self.problems.iter().map(|(row, p)| RowError {
            file: self.file.clone(),
            row: line_of(*row as usize) as u32,
            column: p.column.into(),
            value: p.value.clone(),
            problem: p.problem.clone(),
            code: p.code,
            severity: Severity::Error,
        })
    }

    /// Counts by outcome.
    pub fn summary(&self) -> SettleSummary {
        let mut s = SettleSummary {
            rows: self.status.len() as u64,
            ..SettleSummary::default()
        };
        for st in &self.status {
            match st {
                Status::Standing => s.settled += 1,
                Status::Rejected => s.rejected += 1,
                Status::Reversal => s.reversals += 1,
                Status::Reversed => s.reversed += 1,
                Status::Blank => {}
            }
        }
        s
    }

    /// The claims that stand (not rejected, not a reversal, not reversed).
    pub fn standing(&self) -> impl Iterator<Item = &BatchClaim> + '_ {
        self.claims
            .iter()
            .zip(&self.status)
            .filter(|(_, s)| **s == Status::Standing)
            .map(|(c, _)| c)
    }

    /// Settles every standing claim under `policy`.
    pub fn settle(&self, policy: &Policy, threads: usize) -> Vec<Tiers> {
        settle_batch_where(
            &self.claims,
            threads,
            |i| self.status[i] == Status::Standing,
            |_, _| policy,
        )
    }

    /// Writes `claim_id,basic,critical,assistance,supplementary,out_of_pocket`
    /// for every standing claim, in input order. Rows are formatted in
    /// slices on `threads` threads and written in order.
    pub fn write_settled(
        &self,
        tiers: &[Tiers],
        path: &Path,
        threads: usize,
    ) -> Result<(), SettleError> {
        const SLICE: usize = 1 << 16;
        // Written aside and renamed at the end: a failed run leaves no
        // half-written output under the expected name.
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let mut file = File::create(&partial).map_err(|e| SettleError::io(&partial, e))?;
        let threads = threads.clamp(1, 16);
        let slices = tiers.len().div_ceil(SLICE);
        let mut failure = None;
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Vec<u8>)>(2 * threads);
            for t in 0..threads {
                let tx = tx.clone();
                s.spawn(move || {
                    for k in (t..slices).step_by(threads) {
                        let rows = k * SLICE..((k + 1) * SLICE).min(tiers.len());
                        if tx.send((k, self.format_rows(tiers, rows))).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(tx);
            let header = b"claim_id,basic,critical,assistance,supplementary,out_of_pocket\n";
            let mut result = file.write_all(header);
            let mut pending = std::collections::BTreeMap::new();
            let mut next = 0;
            for (k, buf) in rx {
                pending.insert(k, buf);
                while let Some(buf) = pending.remove(&next) {
                    if result.is_ok() {
                        result = file.write_all(&buf);
                    }
                    next += 1;
                }
            }
            if let Err(e) = result.and_then(|()| file.flush()) {
                failure = Some(SettleError::io(path, e));
            }
        });
        if let Some(e) = failure {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, path).map_err(|e| SettleError::io(path, e))
    }

    fn format_rows(&self, tiers: &[Tiers], rows: std::ops::Range<usize>) -> Vec<u8> {
        let mut buf = Vec::with_capacity(rows.len() * 64);
        for row in rows {
            if self.status[row] != Status::Standing {
                continue;
            }
            let t = &tiers[row];
            write_field(&mut buf, self.id(row));
            for m in [
                t.basic,
                t.critical,
                t.assistance,
                t.supplementary,
                t.out_of_pocket,
            ] {
                buf.push(b',');
                write_money(&mut buf, m);
            }
            buf.push(b'\n');
        }
        buf
    }

    /// Explains how one claim was settled: its row, its place in the
    /// person-year and every step of the engine. `None` if no row has
    /// this claim id.
    pub fn explain(&self, policy: &Policy, claim_id: &str, lang: Lang) -> Option<String> {
        let row = (0..self.claims.len()).find(|&r| self.id(r) == claim_id.as_bytes())?;
        let line = line_of(row);
        let zh = lang == Lang::Zh;
        let status_note = match self.status[row] {
            Status::Standing => None,
            Status::Rejected => Some(if zh {
                "该行有错误，未结算"
            } else {
                "the row has errors and was not settled"
            }),
            Status::Reversal => Some(if zh {
                "该行是冲销单，本身不结算"
            } else {
                "the row is a reversal and is not settled itself"
            }),
            Status::Reversed => Some(if zh {
                "该结算单已被冲销，按从未发生处理"
            } else {
                "the claim was reversed and counts as never settled"
            }),
            Status::Blank => None,
        };
        if let Some(note) = status_note {
            return Some(if zh {
                format!("结算单 {claim_id}（第{line}行）：{note}\n")
            } else {
                format!("Claim {claim_id} (row {line}): {note}\n")
            });
        }
        let target = self.claims[row];
        let mut year: Vec<usize> = (0..self.claims.len())
            .filter(|&r| {
                self.status[r] == Status::Standing
                    && self.claims[r].person == target.person
                    && self.claims[r].year == target.year
            })
            .collect();
        year.sort_by_key(|&r| (self.claims[r].settled_at, r));
        let mut state = YearState::default();
        let mut steps: Vec<Step> = Vec::new();
        let mut result = Tiers::default();
        let mut position = 0;
        for (k, &r) in year.iter().enumerate() {
            if r == row {
                result = policy.settle_traced(&mut state, &self.claims[r].input, &mut steps);
                position = k + 1;
                break;
            }
            policy.settle(&mut state, &self.claims[r].input);
        }
        let c = target.input;
        let groups = if c.groups == GroupSet::EMPTY {
            if zh {
                "普通居民".to_string()
            } else {
                "ordinary resident".to_string()
            }
        } else if zh {
            c.groups.labels()
        } else {
            c.groups.codes()
        };
        let person = IdCardNo::from_packed(target.person)
            .map(|id| id.masked())
            .unwrap_or_default();
        let mut text = if zh {
            format!(
                "结算单 {claim_id}（第{line}行，政策“{}”）\n身份证号 {person}，{} 年第 {position}/{} 笔结算；{}，{}医疗机构，{}；人员类别：{groups}\n医疗总费用 {}，政策范围内费用 {}\n",
                policy.name,
                target.year,
                year.len(),
                c.kind.label(),
                c.level.label(),
                if c.county_internal {
                    "县域内"
                } else {
                    "县域外"
                },
                c.total,
                c.policy_scope,
            )
        } else {
            format!(
                "Claim {claim_id} (row {line}, policy \"{}\")\nPerson {person}, claim {position} of {} in {}; {}, {} level, {}; groups: {groups}\nTotal {}, policy-scope {}\n",
                policy.name,
                year.len(),
                target.year,
                c.kind.code(),
                c.level.code(),
                if c.county_internal {
                    "county-internal"
                } else {
                    "outside the county"
                },
                c.total,
                c.policy_scope,
            )
        };
        text.push_str(&explain(&steps, lang));
        text.push_str(&if zh {
            format!(
                "结果：基本医保 {}，大病保险 {}，医疗救助 {}，补充保障 {}，个人自付 {}\n",
                result.basic, result.critical, result.assistance, result.supplementary, result.out_of_pocket
            )
        } else {
            format!(
                "Result: basic {}, critical {}, assistance {}, supplementary {}, out of pocket {}\n",
                result.basic, result.critical, result.assistance, result.supplementary, result.out_of_pocket
            )
        });
        Some(text)
    }
}

/// Row number as the user sees it: the header is row 1.
fn line_of(row: usize) -> usize {
    row + 2
}

fn problem_of(
    column: &'static str,
    value: &[u8],
    problem: String,
    code: &'static str,
) -> RowProblem {
    RowProblem {
        column,
        value: String::from_utf8_lossy(value).chars().take(60).collect(),
        problem,
        code,
    }
}

/// One thread's share of the claim-id index, and the repeats it found.
type IndexPart = (HashTable<u32>, Vec<(u32, u32)>);

/// Which index table a hash belongs to (high bits, which the tables
/// themselves use least).
fn part_of(h: u64, parts: usize) -> usize {
    ((h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize) % parts
}

/// FxHash-style hashing of claim ids: fast, and good enough for a table
/// whose equality check is exact.
fn fx_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

/// A CSV field, quoted when it holds a separator, quote or line break.
fn write_field(buf: &mut Vec<u8>, field: &[u8]) {
    if field
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        buf.push(b'"');
        for &b in field {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(field);
    }
}

/// Yuan with two decimals, as [`Money`]'s `Display`, without `fmt`.
fn write_money(buf: &mut Vec<u8>, m: Money) {
    let fen = m.fen();
    if fen < 0 {
        buf.push(b'-');
    }
    let abs = fen.unsigned_abs();
    let mut digits = [0u8; 24];
    let mut n = abs / 100;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
    let cents = (abs % 100) as u8;
    buf.extend_from_slice(&[b'.', b'0' + cents / 10, b'0' + cents % 10]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_like_display() {
        for fen in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            -5,
            -12_345,
            100_000_000_000_000,
        ] {
            let mut buf = Vec::new();
            write_money(&mut buf, Money::from_fen(fen));
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                Money::from_fen(fen).to_string()
            );
        }
    }

    #[test]
    fn fields_are_quoted_when_needed() {
        let mut buf = Vec::new();
        write_field(&mut buf, b"a,\"b\"");
        assert_eq!(buf, b"\"a,\"\"b\"\"\"");
    }
}
