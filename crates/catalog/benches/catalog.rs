//! Throughput of the catalog layer: what start-up pays for an embedded catalog, against
//! what parsing and compiling the same catalog from RON text would cost, and name lookups.
//!
//! `cargo bench -p cpucompat-catalog` prints the median of several runs of each step.
use cpucompat_catalog::{embedded, Catalog, Compiled};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let text = include_str!("../../../specs/catalog/x86.ron");
    let runs = 51;
    let first = {
        let t = Instant::now();
        black_box(embedded::x86());
        t.elapsed()
    };
    let rebuild = median(runs, || embedded::x86().clone());
    let parse = median(runs, || Catalog::from_ron(text, "x86.ron"));
    let cat = Catalog::from_ron(text, "x86.ron").unwrap_or_else(|e| panic!("{e}"));
    let compile = median(runs, || Compiled::compile(&cat));
    let c = embedded::x86();
    let names: Vec<&str> = c.features().iter().map(|f| &*f.name).collect();
    let lookups = median(runs, || {
        names
            .iter()
            .filter_map(|n| c.feature(n))
            .fold(0usize, |a, b| a ^ b.index())
    });
    println!("x86 catalog (176 models, 400 features):");
    println!("  first embedded::x86() call (statics -> Compiled)  {first:>10.1?}");
    println!("  clone of the compiled catalog (same allocations)  {rebuild:>10.1?}");
    println!("  for comparison: RON text parse                    {parse:>10.1?}");
    println!("  for comparison: Catalog -> Compiled (validate)    {compile:>10.1?}");
    println!(
        "  400 feature name lookups                          {lookups:>10.1?} ({:.0} ns each)",
        lookups.as_nanos() as f64 / names.len() as f64
    );
}
