//! Settling a whole set of claims at once: group by person-year, order by
//! settlement time (ties: input order), run the engine, hand back the
//! tiers in input order.
//!
//! This is the reference every other path is held to: the CLI's `settle`,
//! the stored claims of the database and policy simulation all settle
//! through here. Reversals are the caller's business: pass only the claims
//! that stand (neither reversed nor a reversal).

use crate::engine::{ClaimInput, Tiers, YearState};
use crate::params::Policy;

/// A claim as the batch sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchClaim {
    /// Any key that identifies the insured person (e.g. a packed ID number).
    pub person: u64,
    /// A sortable settlement instant (e.g. seconds since 1970, local time).
    pub settled_at: i64,
    /// Calendar year of `settled_at` (so it never falls as `settled_at` rises).
    pub year: i32,
    /// The claim.
    pub input: ClaimInput,
}

/// Settles `claims` under the policy `policy_of` chooses for each claim,
/// using up to `threads` threads. The result is in input order.
pub fn settle_batch<'p, F>(claims: &[BatchClaim], threads: usize, policy_of: F) -> Vec<Tiers>
where
    F: Fn(usize, &BatchClaim) -> &'p Policy + Sync,
{
    settle_batch_where(claims, threads, |_| true, policy_of)
}

/// [`settle_batch`] over the claims whose position `keep` accepts; the
/// others are left at zero (callers use this for rejected rows, reversals
/// and reversed claims, which keep their place in the input).
///
/// Person-years are independent, so the work splits by person: each thread
/// sorts and settles the persons whose key falls in its share and sends
/// the results back in chunks, which keeps memory flat.
pub fn settle_batch_where<'p, K, F>(
    claims: &[BatchClaim],
    threads: usize,
    keep: K,
    policy_of: F,
) -> Vec<Tiers>
where
    K: Fn(usize) -> bool + Sync,
    F: Fn(usize, &BatchClaim) -> &'p Policy + Sync,
{
    const CHUNK: usize = 1 << 16;
    let threads = threads.clamp(1, 64);
    let mut out = vec![Tiers::default(); claims.len()];
    if threads == 1 || claims.len() < 100_000 {
        let order = sorted_keys(claims, |i, _| keep(i));
        settle_run(claims, &order, &policy_of, |i, t| out[i] = t);
        return out;
    }
    let share = |c: &BatchClaim| (mix(c.person) % threads as u64) as usize;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(u32, Tiers)>>(2 * threads);
        for t in 0..threads {
            let (tx, keep, policy_of) = (tx.clone(), &keep, &policy_of);
            s.spawn(move || {
                let order = sorted_keys(claims, |i, c| share(c) == t && keep(i));
                let mut chunk = Vec::with_capacity(CHUNK);
                settle_run(claims, &order, policy_of, |i, tiers| {
                    chunk.push((i as u32, tiers));
                    if chunk.len() == CHUNK {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                        // The receiver lives until every sender is gone.
                        let _ = tx.send(full);
                    }
                });
                let _ = tx.send(chunk);
            });
        }
        drop(tx);
        for chunk in rx {
            for (i, t) in chunk {
                out[i as usize] = t;
            }
        }
    });
    out
}

/// Sort keys (person, instant, input position) of the claims `keep` selects.
fn sorted_keys(
    claims: &[BatchClaim],
    keep: impl Fn(usize, &BatchClaim) -> bool,
) -> Vec<(u64, i64, u32)> {
    let mut keys: Vec<(u64, i64, u32)> = claims
        .iter()
        .enumerate()
        .filter(|(i, c)| keep(*i, c))
        .map(|(i, c)| (c.person, c.settled_at, i as u32))
        .collect();
    keys.sort_unstable();
    keys
}

fn settle_run<'p, F>(
    claims: &[BatchClaim],
    order: &[(u64, i64, u32)],
    policy_of: &F,
    mut emit: impl FnMut(usize, Tiers),
) where
    F: Fn(usize, &BatchClaim) -> &'p Policy,
{
    // Claims are gathered in sorted order a slice at a time first: a tight
    // copy loop overlaps its cache misses, the engine loop then reads
    // memory in order.
    const SLICE: usize = 4096;
    let mut cursor = YearCursor::default();
    let mut gathered: Vec<BatchClaim> = Vec::with_capacity(SLICE);
    for keys in order.chunks(SLICE) {
        gathered.clear();
        gathered.extend(keys.iter().map(|k| claims[k.2 as usize]));
        for (k, c) in keys.iter().zip(&gathered) {
            let i = k.2 as usize;
            emit(i, cursor.settle(policy_of(i, c), c));
        }
    }
}

/// The accumulators of the person-year being settled, started afresh
/// when the next claim belongs to another person or year.
#[derive(Default)]
struct YearCursor {
    current: Option<(u64, i32)>,
    state: YearState,
}

impl YearCursor {
    #[inline]
    fn settle(&mut self, policy: &Policy, c: &BatchClaim) -> Tiers {
        if self.current != Some((c.person, c.year)) {
            self.current = Some((c.person, c.year));
            self.state = YearState::default();
        }
        policy.settle(&mut self.state, &c.input)
    }
}

/// Settles claims that are already in settlement order (grouped by person
/// and year, by time within), calling `emit` with each position and result.
/// This is the engine's inner loop, without sorting.
pub fn settle_in_order(policy: &Policy, claims: &[BatchClaim], mut emit: impl FnMut(usize, Tiers)) {
    let mut cursor = YearCursor::default();
    for (i, c) in claims.iter().enumerate() {
        emit(i, cursor.settle(policy, c));
    }
}

/// A cheap 64-bit mixer so persons spread evenly over threads.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jianfu_domain::{ClaimKind, FacilityLevel, GroupSet, Money};

    fn claims(n: usize) -> Vec<BatchClaim> {
        (0..n)
            .map(|i| {
                let total = Money::from_fen(((i * 7919) % 5_000_000) as i64);
                BatchClaim {
                    person: (i % 997) as u64,
                    // Later rows often settle earlier: order must come from the key.
                    settled_at: ((i * 104_729) % 1_000_000) as i64,
                    year: 2023 + ((i * 104_729) % 1_000_000 >= 500_000) as i32,
                    input: ClaimInput {
                        kind: ClaimKind::ALL[i % 3],
                        level: FacilityLevel::ALL[i % 4],
                        county_internal: i % 5 != 0,
                        groups: GroupSet::from_bits((i % 128) as u8),
                        total,
                        policy_scope: total,
                    },
                }
            })
            .collect()
    }

    #[test]
    fn threads_do_not_change_the_result() {
        let policy = Policy::built_in("reference-2023").unwrap();
        let c = claims(150_000);
        let one = settle_batch(&c, 1, |_, _| &policy);
        let three = settle_batch(&c, 3, |_, _| &policy);
        assert_eq!(one, three);
        let odd = settle_batch_where(&c, 2, |i| i % 2 == 1, |_, _| &policy);
        assert!(odd.iter().step_by(2).all(|t| *t == Tiers::default()));
        assert!(one.iter().any(|t| t.critical > Money::ZERO));
    }
}
