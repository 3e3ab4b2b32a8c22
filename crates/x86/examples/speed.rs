//! Throughput of the x86 engine on real CPUs (the dumps under `tests/data`, libvirt 11.3's
//! map). Prints operations per second; bench-friendly: `cargo run --release -p
//! cpucompat-x86 --example speed [POOL_SIZE]`.
use std::hint::black_box;
use std::time::Instant;

use cpucompat_x86::{BaselineOptions, X86};
use cpucompat_xml::model::{CpuData, CpuKind};

const CPUS: [&str; 8] = [
    "Xeon-Gold-6148",
    "Core-i7-2600-xsaveopt",
    "Core-i7-4600U",
    "Xeon-E5-2609-v3",
    "Pentium-P6100",
    "Ice-Lake-Server",
    "Core-i7-8550U",
    "Atom-D510",
];

fn dump(cpu: &str) -> CpuData {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format!("x86_64-cpuid-{cpu}.xml"));
    let text = std::fs::read_to_string(&path).expect("test data");
    cpucompat_xml::parse_cpudata(&text).expect("valid dump")
}

fn rate(what: &str, n: usize, f: impl FnMut()) {
    let mut f = f;
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{what:<40} {n:>8} in {s:>8.3} s = {:>12.0} /s ({:.2} µs each)",
        n as f64 / s,
        s * 1e6 / n as f64
    );
}

fn main() {
    let pool_size: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let x = X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone());
    let dumps: Vec<CpuData> = CPUS.iter().map(|c| dump(c)).collect();
    let hosts: Vec<_> = dumps
        .iter()
        .map(|d| x.decode(d, CpuKind::Host, None).expect("decodes"))
        .collect();
    let guests: Vec<_> = dumps
        .iter()
        .map(|d| x.decode(d, CpuKind::Guest, None).expect("decodes"))
        .collect();
    let mut i = 0;
    rate("read features of a dump", 20_000, || {
        i += 1;
        black_box(x.read_features(&dumps[i % dumps.len()]).ok());
    });
    rate("decode as host (150 candidates)", 20_000, || {
        i += 1;
        black_box(x.decode(&dumps[i % dumps.len()], CpuKind::Host, None).ok());
    });
    rate("decode as guest", 20_000, || {
        i += 1;
        black_box(x.decode(&dumps[i % dumps.len()], CpuKind::Guest, None).ok());
    });
    rate("compare host vs guest", 200_000, || {
        i += 1;
        let h = &hosts[i % hosts.len()];
        let g = &guests[(i / hosts.len()) % guests.len()];
        black_box(x.compare(h, g).ok());
    });
    rate("runnable models (150 models)", 20_000, || {
        i += 1;
        black_box(x.runnable_models(&hosts[i % hosts.len()]).ok());
    });
    rate("baseline of 2 hosts", 20_000, || {
        i += 1;
        let pair = [&hosts[i % hosts.len()], &hosts[(i + 3) % hosts.len()]];
        black_box(x.baseline_iter(pair, &BaselineOptions::default()).ok());
    });
    let t = Instant::now();
    let b = x
        .baseline_iter(
            (0..pool_size).map(|k| &hosts[k % hosts.len()]),
            &BaselineOptions::default(),
        )
        .expect("baseline");
    let s = t.elapsed().as_secs_f64();
    println!(
        "baseline of a pool of {pool_size} hosts: {s:.3} s ({:.0} hosts/s) -> {}",
        pool_size as f64 / s,
        b.model.map(|m| m.name).unwrap_or_default()
    );
}
