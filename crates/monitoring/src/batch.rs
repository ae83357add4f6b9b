//! Evaluating many household-years at once, and one owned household with
//! its explanations.
//!
//! Households are independent, so the batch splits into contiguous runs of
//! households holding about the same number of claims, one per thread
//! (`std::thread::scope`), and the runs' alerts are joined in household
//! order: the result does not depend on the number of threads. The walk
//! reads the flat arrays of [`Households`] in order and allocates only
//! for the alerts it finds.

use crate::explain::{Explanation, explain};
use crate::input::{Household, Households};
use crate::params::MonitoringParams;
use crate::rules::{Alert, Context, evaluate_into};

/// The alerts of every household in `input` for the context's year, in
/// household order (R2, R3, R5 within a household), using up to `threads`
/// threads. `params_of` chooses the parameter set of each household (e.g.
/// by its county, with [`crate::params::select`]).
pub fn evaluate_batch<'p, F>(
    input: &Households,
    ctx: &Context,
    threads: usize,
    params_of: F,
) -> Vec<Alert>
where
    F: Fn(usize) -> &'p MonitoringParams + Sync,
{
    let threads = threads.clamp(1, 64);
    if threads == 1 || input.len() < 1024 {
        return run(input, 0..input.len(), ctx, &params_of);
    }
    let bounds = split(input, threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (lo, hi, params_of) = (w[0], w[1], &params_of);
                s.spawn(move || run(input, lo..hi, ctx, params_of))
            })
            .collect();
        let mut out = Vec::new();
        for handle in handles {
            out.extend(handle.join().expect("an evaluation thread panicked"));
        }
        out
    })
}

fn run<'p, F>(
    input: &Households,
    households: std::ops::Range<usize>,
    ctx: &Context,
    params_of: &F,
) -> Vec<Alert>
where
    F: Fn(usize) -> &'p MonitoringParams,
{
    let mut out = Vec::new();
    for h in households {
        evaluate_into(input, h, ctx, params_of(h), &mut out);
    }
    out
}

/// Household boundaries `0 = b0 ≤ b1 ≤ … ≤ bn = len` cutting the claims
/// into `parts` runs of about equal size.
fn split(input: &Households, parts: usize) -> Vec<usize> {
    let (n, claims) = (input.len(), input.claim_count());
    let mut bounds = vec![0];
    for k in 1..parts {
        let target = claims * k / parts;
        // First household whose claims start at or after the target.
        let (mut lo, mut hi) = (*bounds.last().expect("starts with 0"), n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if input.first_claim(mid) < target {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        bounds.push(lo);
    }
    bounds.push(n);
    bounds
}

/// The alerts of one owned household, each with its explanation.
pub fn evaluate_household(
    household: &Household,
    ctx: &Context,
    params: &MonitoringParams,
) -> Vec<(Alert, Explanation)> {
    let input = Households::of(household);
    let mut alerts = Vec::new();
    evaluate_into(&input, 0, ctx, params, &mut alerts);
    alerts
        .into_iter()
        .map(|a| {
            let e = explain(&input, &a, ctx, params);
            (a, e)
        })
        .collect()
}
