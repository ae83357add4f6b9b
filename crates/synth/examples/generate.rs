//! Generates a data set from the command line, for benchmarks:
//! `cargo run --release -p jianfu-synth --example generate -- PERSONS OUT_DIR [SEED] [COUNTY]`.

use std::path::PathBuf;
use std::time::Instant;

use jianfu_synth::{GenerateOptions, generate};

fn main() {
    let mut args = std::env::args().skip(1);
    let persons: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "synth-out".into()));
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let county = args.next().unwrap_or_else(|| "130624".into());
    let opts = GenerateOptions {
        county,
        persons,
        seed,
        ..GenerateOptions::default()
    };
    let start = Instant::now();
    match generate(&opts, &out, &mut |_| {}) {
        Ok(s) => println!("{s:?} in {:.2?}", start.elapsed()),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
