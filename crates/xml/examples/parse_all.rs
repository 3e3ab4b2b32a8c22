//! One-off checker: parses every `.xml` file of a directory that holds `<cpu>` or
//! `<cpudata>` elements, checks the round-trip law on each definition and that writing a
//! parsed file reproduces it byte for byte where libvirt wrote it, and prints counts.
//!
//! `cargo run -p cpucompat-xml --example parse_all -- DIR`
use cpucompat_xml::{parse_cpudata, parse_cpus, write_cpu, write_cpudata, CpuDef, Pos};
use std::process::ExitCode;

fn strip(c: &CpuDef) -> CpuDef {
    let mut c = c.normalized();
    c.pos = Pos::default();
    c
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse_all DIR");
        return ExitCode::from(2);
    };
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("cannot read {dir}");
        return ExitCode::from(2);
    };
    let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let (mut files, mut cpus, mut dumps, mut failed, mut identical) = (0, 0, 0, 0, 0);
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
    {
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        let name = p.display();
        if text.contains("<cpudata") {
            files += 1;
            match parse_cpudata(&text) {
                Ok(d) => {
                    dumps += 1;
                    let w = write_cpudata(&d);
                    if parse_cpudata(&w).ok().as_ref() != Some(&d) {
                        println!("{name}: cpudata round trip differs");
                        failed += 1;
                    }
                }
                Err(e) => {
                    println!("{name}:{e}");
                    failed += 1;
                }
            }
        } else if text.contains("<cpu") {
            files += 1;
            match parse_cpus(&text) {
                Ok(v) => {
                    cpus += v.len();
                    let mut all = String::new();
                    for c in &v {
                        let w = write_cpu(c);
                        all.push_str(&w);
                        match parse_cpus(&w) {
                            Ok(b) if b.len() == 1 && strip(&b[0]) == strip(c) => {}
                            _ => {
                                println!("{name}: round trip differs:\n{w}");
                                failed += 1;
                            }
                        }
                    }
                    if all == text {
                        identical += 1;
                    }
                }
                Err(e) => {
                    println!("{name}:{e}");
                    failed += 1;
                }
            }
        }
    }
    println!(
        "files: {files}; cpu definitions: {cpus}; cpudata dumps: {dumps}; \
         files reprinted byte-identical: {identical}; failures: {failed}"
    );
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
