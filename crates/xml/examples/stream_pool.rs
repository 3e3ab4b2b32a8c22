//! Streams a generated pool of N host CPUs (default 1 000 000, ~170 MB of XML, never
//! materialized: the bytes are produced on the fly) through [`CpuReader`] and prints the
//! count, the time and the peak resident memory, showing that memory does not grow with
//! the pool.
//!
//! `cargo run --release -p cpucompat-xml --example stream_pool -- [N]`
use cpucompat_xml::CpuReader;
use std::io::{BufReader, Read};

/// An endless-ish reader producing `<pool>` + N `<cpu>` + `</pool>`.
struct Pool {
    n: usize,
    i: usize,
    pending: Vec<u8>,
    done: bool,
}

impl Read for Pool {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() && !self.done {
            if self.i == 0 {
                self.pending.extend_from_slice(b"<pool>\n");
            }
            if self.i < self.n {
                let model = ["Haswell", "Skylake-Server", "EPYC-Rome"][self.i % 3];
                let s = format!(
                    "  <cpu>\n    <arch>x86_64</arch>\n    <model>{model}</model>\n    <vendor>Intel</vendor>\n    <feature name='vmx'/>\n    <feature name='f{}'/>\n  </cpu>\n",
                    self.i % 97
                );
                self.pending.extend_from_slice(s.as_bytes());
                self.i += 1;
            } else {
                self.pending.extend_from_slice(b"</pool>\n");
                self.done = true;
            }
        }
        let k = out.len().min(self.pending.len());
        out[..k].copy_from_slice(&self.pending[..k]);
        self.pending.drain(..k);
        Ok(k)
    }
}

fn peak_rss_kib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let src = BufReader::new(Pool {
        n,
        i: 0,
        pending: Vec::new(),
        done: false,
    });
    let t = std::time::Instant::now();
    let mut count = 0usize;
    let mut features = 0usize;
    for c in CpuReader::new(src) {
        match c {
            Ok(c) => {
                count += 1;
                features += c.features.len();
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        }
    }
    println!(
        "cpus: {count}; features: {features}; time: {:.2?}; peak RSS: {} KiB",
        t.elapsed(),
        peak_rss_kib()
    );
}
