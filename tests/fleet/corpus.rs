//! The shared corpus of real x86 CPUs the fleet tests draw pools from: libvirt's 45 host
//! decodes (`specs/cases/x86/data/x86_64-cpuid-*-host.xml`) and the 45 CPUID dumps they
//! came from (`x86_64-cpuid-*.xml`, decoded as hosts by the engine).
#![allow(dead_code)]
use cpucompat::{Arch, Cpu, Engine, Input};
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every corpus file, sorted: the `-host.xml` decodes, then the dumps.
pub fn files() -> Vec<PathBuf> {
    let dir = root().join("specs/cases/x86/data");
    let mut hosts = Vec::new();
    let mut dumps = Vec::new();
    for e in std::fs::read_dir(&dir).expect("read the x86 corpus") {
        let p = e.expect("dir entry").path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("x86_64-cpuid-") || !name.ends_with(".xml") {
            continue;
        }
        if name.ends_with("-host.xml") {
            hosts.push(p);
        } else if !name.ends_with("-json.xml") {
            dumps.push(p);
        }
    }
    hosts.sort();
    dumps.sort();
    assert_eq!((hosts.len(), dumps.len()), (45, 45), "the corpus changed");
    hosts.extend(dumps);
    hosts
}

/// Every corpus host, read by `engine` (one CPU per file).
pub fn hosts(engine: &Engine) -> Vec<(PathBuf, Cpu)> {
    files()
        .into_iter()
        .map(|p| {
            let c = engine
                .read_one(Input::path(&p))
                .expect("read a corpus host");
            (p, c)
        })
        .collect()
}

/// The default x86 engine.
pub fn x86() -> Engine {
    Engine::new(Arch::X86).expect("x86 engine")
}

/// splitmix64, so every run draws the same pools.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
