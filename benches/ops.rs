//! The library's operations, timed through the public API (divan): compare and baseline
//! pre-parsed and from XML, over pools of 2 to 1,000,000 real hosts; one guest against
//! 100,000 hosts (a scheduler's filter); the decode of every CPUID dump of the corpus;
//! libvirt's `cpu_map` import; s390x QMP answers.
//!
//! Each pre-parsed operation has its yardstick beside it: a plain loop that reads the same
//! feature words (`*_words`), so a ratio says what the rules cost over the bare algebra.
//! `BENCHMARKS.md` quotes the medians.
//!
//! Run: `cargo bench --bench ops` (`-- baseline` to filter). The hosts are the pool of
//! `benches/data/hosts-1000.xml` (real Intel hosts: libvirt's test corpus and the host
//! decodes of its CPUID dumps), cycled to the size wanted.
use cpucompat::{Arch, BaselineOptions, Cpu, CpuKind, CpuMap, Engine, FeatureSet, Input};
use divan::{black_box, Bencher};
use std::sync::LazyLock;

fn main() {
    divan::main();
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

static X86: LazyLock<Engine> = LazyLock::new(|| Engine::new(Arch::X86).expect("x86 engine"));

/// The 1,000-host pool, one `<cpu>` element each (its own text, for cycling).
static POOL_TEXT: LazyLock<Vec<String>> = LazyLock::new(|| {
    let text = std::fs::read_to_string(format!("{ROOT}/benches/data/hosts-1000.xml"))
        .expect("benches/data/hosts-1000.xml");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(a) = rest.find("<cpu") {
        let Some(b) = rest[a..].find("</cpu>") else {
            break;
        };
        let end = a + b + "</cpu>".len();
        out.push(rest[a..end].to_string());
        rest = &rest[end..];
    }
    out
});

/// The distinct hosts of the pool, pre-parsed.
static HOSTS: LazyLock<Vec<Cpu>> = LazyLock::new(|| {
    POOL_TEXT
        .iter()
        .map(|t| X86.parse(t).expect("host"))
        .collect()
});

/// A pool of `n` pre-parsed hosts (the 1,000 cycled).
fn hosts(n: usize) -> Vec<Cpu> {
    HOSTS.iter().cycle().take(n).cloned().collect()
}

/// The text of a pool of `n` hosts (the 1,000 cycled), as one file.
fn pool_xml(n: usize) -> String {
    let mut s = String::new();
    for t in POOL_TEXT.iter().cycle().take(n) {
        s.push_str(t);
        s.push('\n');
    }
    s
}

/// The feature words a CPU denotes.
fn words(c: &Cpu) -> &FeatureSet {
    c.features().expect("an x86 CPU has feature words")
}

const SIZES: &[usize] = &[2, 18, 1_000, 100_000, 1_000_000];

mod baseline {
    use super::*;

    /// `Engine::baseline` over `&[Cpu]`.
    #[divan::bench(args = SIZES, sample_count = 20)]
    fn pre_parsed(b: Bencher, n: usize) {
        let pool = hosts(n);
        let opts = BaselineOptions::default();
        b.bench(|| X86.baseline(black_box(&pool), &opts).expect("baseline"));
    }

    /// The yardstick: a plain loop that ANDs the same feature words.
    #[divan::bench(args = SIZES, sample_count = 20)]
    fn pre_parsed_words(b: Bencher, n: usize) {
        let pool = hosts(n);
        b.bench(|| {
            black_box(&pool).iter().fold(
                FeatureSet::universe(512).unwrap_or(FeatureSet::EMPTY),
                |acc, c| acc & *words(c),
            )
        });
    }

    /// `Engine::read_pool` + `Engine::baseline` from the XML text (read, checked, folded).
    #[divan::bench(args = &[2, 18, 1_000, 100_000], sample_count = 10)]
    fn from_xml(b: Bencher, n: usize) {
        let text: &'static str = Box::leak(pool_xml(n).into_boxed_str());
        let opts = BaselineOptions::default();
        b.counter(divan::counter::BytesCount::new(text.len()))
            .bench(|| {
                let input = Input::from_reader("pool.xml", text.as_bytes());
                X86.baseline(X86.read_pool([input]), &opts)
                    .expect("baseline")
            });
    }
}

mod compare {
    use super::*;

    const HOST: &str = "specs/cases/x86/data/x86_64-cpuid-Ice-Lake-Server-host.xml";
    const GUEST: &str = "<cpu mode='custom' match='exact'>
  <model fallback='forbid'>Skylake-Server-IBRS</model>
  <vendor>Intel</vendor>
  <feature policy='require' name='pcid'/>
  <feature policy='disable' name='hle'/>
  <feature policy='disable' name='rtm'/>
</cpu>";

    fn host_text() -> String {
        std::fs::read_to_string(format!("{ROOT}/{HOST}")).expect("host")
    }

    /// `Engine::compare` of two pre-parsed CPUs.
    #[divan::bench]
    fn pre_parsed(b: Bencher) {
        let host = X86.parse(&host_text()).expect("host");
        let guest = X86.parse(GUEST).expect("guest");
        assert!(X86.compare(&host, &guest).expect("compare").runs());
        b.bench(|| {
            X86.compare(black_box(&host), black_box(&guest))
                .expect("compare")
        });
    }

    /// The yardstick: the bare word-wise subset test of the guest's features.
    #[divan::bench]
    fn pre_parsed_words(b: Bencher) {
        let host = X86.parse(&host_text()).expect("host");
        let guest = X86.parse(GUEST).expect("guest");
        b.bench(|| words(black_box(&guest)).is_subset(words(black_box(&host))));
    }

    /// Parse both, then compare.
    #[divan::bench]
    fn from_xml(b: Bencher) {
        let host = host_text();
        b.bench(|| {
            let h = X86.parse(black_box(&host)).expect("host");
            let g = X86.parse(black_box(GUEST)).expect("guest");
            X86.compare(&h, &g).expect("compare")
        });
    }

    /// One guest against 100,000 hosts: how many run it (a scheduler's filter).
    #[divan::bench(sample_count = 20)]
    fn filter_100k(b: Bencher) {
        let pool = hosts(100_000);
        let guest = X86.parse(GUEST).expect("guest");
        b.bench(|| {
            black_box(&pool)
                .iter()
                .filter(|h| X86.compare(h, &guest).is_ok_and(|c| c.runs()))
                .count()
        });
    }

    /// The yardstick: the subset test over the same 100,000 hosts.
    #[divan::bench(sample_count = 20)]
    fn filter_100k_words(b: Bencher) {
        let pool = hosts(100_000);
        let guest = X86.parse(GUEST).expect("guest");
        let g = *words(&guest);
        b.bench(|| {
            black_box(&pool)
                .iter()
                .filter(|h| g.is_subset(words(h)))
                .count()
        });
    }
}

mod decode {
    use super::*;

    /// The CPUID dumps of the corpus (`<cpudata>` files).
    fn dumps() -> Vec<String> {
        let dir = format!("{ROOT}/specs/cases/x86/data");
        let mut out: Vec<String> = std::fs::read_dir(&dir)
            .expect("corpus")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("x86_64-cpuid-") && n.ends_with(".xml"))
            .filter(|n| {
                std::fs::read_to_string(format!("{dir}/{n}")).is_ok_and(|t| t.contains("<cpudata"))
            })
            .collect();
        out.sort();
        out
    }

    static DUMPS: LazyLock<Vec<String>> = LazyLock::new(dumps);

    /// Every dump decoded as a host, one after another (see `each` for one by one).
    #[divan::bench(sample_count = 20)]
    fn corpus(b: Bencher) {
        let texts: Vec<(String, String)> = DUMPS
            .iter()
            .map(|n| {
                let t = std::fs::read_to_string(format!("{ROOT}/specs/cases/x86/data/{n}"))
                    .expect("dump");
                (n.clone(), t)
            })
            .collect();
        b.counter(texts.len()).bench(|| {
            for (n, t) in &texts {
                black_box(X86.decode(Input::from_text(n.as_str(), t.as_str()), CpuKind::Host))
                    .expect("decode");
            }
        });
    }

    /// One dump decoded as a host.
    #[divan::bench(args = DUMPS.iter().map(String::as_str))]
    fn each(b: Bencher, name: &str) {
        let t =
            std::fs::read_to_string(format!("{ROOT}/specs/cases/x86/data/{name}")).expect("dump");
        b.bench(|| {
            X86.decode(Input::from_text(name, t.as_str()), CpuKind::Host)
                .expect("decode")
        });
    }
}

/// libvirt's `cpu_map` directory imported and compiled (`--cpu-map`), when installed.
#[divan::bench(sample_count = 10)]
fn cpu_map_import(b: Bencher) {
    let dir = std::path::Path::new("/usr/share/libvirt/cpu_map");
    if !dir.join("index.xml").exists() {
        eprintln!("cpu_map_import skipped: /usr/share/libvirt/cpu_map is not installed");
        return;
    }
    b.bench(|| {
        Engine::builder(Arch::X86)
            .cpu_map(CpuMap::Dir(dir.to_path_buf()))
            .build()
            .expect("cpu_map")
    });
}

/// The s390x QMP session of `benches/data/s390x-pairs.qmp` (2,888 model queries of QEMU
/// 7.2), answered in-process.
#[divan::bench(sample_count = 10)]
fn s390x_qmp(b: Bencher) {
    let text = std::fs::read(format!("{ROOT}/benches/data/s390x-pairs.qmp")).expect("qmp");
    let engine = Engine::builder(Arch::S390x)
        .qemu(cpucompat::Qemu::V7_2)
        .build()
        .expect("s390x");
    b.counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| {
            let mut out = Vec::with_capacity(1 << 20);
            engine
                .s390x()
                .expect("s390x")
                .serve_qmp(black_box(text.as_slice()), &mut out)
                .expect("qmp");
            out.len()
        });
}
