//! The conformance suite: the laws of the design, written once over the adapter contract
//! (`cpucompat_contract::Adapter`) and run for x86, POWER and s390x, each with its own
//! generator of real CPUs, under the same law names.
//!
//! With `F(c)`, `L(c)` the features and level of `point(c)`, `g(h) = guest_of(h)` the
//! guest asking for exactly host `h`, `B(p)` the baseline of pool `p`, and "runs" meaning
//! identical or superset:
//!
//! ```text
//! compare_is_reflexive                       compare(h, g(h)) is identical
//! compatibility_is_transitive                compare(a, x) runs ∧ compare(b, g(a)) runs ⇒ compare(b, x) runs
//! superset_one_way_is_incompatible_the_other compare(a, g(b)) = superset ⇒ compare(b, g(a)) = incompatible
//! baseline_is_always_compatible              ∀ h ∈ p: compare(h, B(p)) runs
//! baseline_is_maximal                        F(B(p)) = ⋂ F(h) ∩ ceiling(B(p)),  L(B(p)) ≤ min L(h)
//! baseline_is_commutative                    F, L of B(p) = those of B(reverse(p))
//! baseline_is_idempotent                     F, L of B(p ++ p) = those of B(p)
//! baseline_is_monotone                       F(B(p ++ [h])) ⊆ F(B(p))
//! baseline_is_the_greatest_lower_bound       x runs on every h ∈ p ⇒ x runs on B(p) (x = g(B(p ++ q)))
//! decode_is_lossless                         F(decode(d)) = the features read from d
//! xml_round_trip                             point(cpu(parse(write(c)))) = point(c)
//! json_round_trip                            point(cpu(from_json(to_json(c)))) = point(c)
//! ```
//!
//! A law whose premise does not hold for a drawn case (a baseline of mixed vendors, which
//! has no answer; a pair where no superset holds) counts the case as not applicable; every
//! law must apply to a share of its cases (checked), so a generator that never reaches a
//! law's premise fails the suite. s390x has no dumps to decode: its `decode_is_lossless`
//! is the lossless reading of QEMU's own host-model form (the static expansion read back).
//!
//! The exhaustive small-scope check runs the same laws over every CPU of a 6-feature x86
//! catalog: all 64 feature sets as hosts, all pairs and all triples as pools.
//!
//! `cargo test --release --test conformance -- --nocapture` prints the table: law ×
//! architecture, cases run and cases where the premise held.
use cpucompat_catalog::{embedded, Catalog, Compiled};
use cpucompat_contract::{Adapter, BaselineOptions, Verdict};
use cpucompat_lattice::{FeatureSet, Point};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind, Feature, Policy};
use std::path::Path;
use std::sync::Arc;

/// Cases per law and architecture.
const CASES: usize = 400;

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One architecture's adapter and its generator of real CPUs.
trait World {
    type A: Adapter;
    fn name(&self) -> &'static str;
    fn adapter(&self) -> &Self::A;
    /// A CPU drawn from real ones (and variations of them).
    fn draw(&self, rng: &mut Rng) -> <Self::A as Adapter>::Cpu;
    /// A pool of 1..=4 CPUs that usually has a baseline.
    fn pool(&self, rng: &mut Rng) -> Vec<<Self::A as Adapter>::Cpu> {
        (0..1 + rng.below(4)).map(|_| self.draw(rng)).collect()
    }
    /// Three CPUs that are likely nested (each runs the previous one's guest), so that
    /// transitivity's premise holds often; three independent draws by default.
    fn nested(&self, rng: &mut Rng) -> [<Self::A as Adapter>::Cpu; 3] {
        [self.draw(rng), self.draw(rng), self.draw(rng)]
    }
    /// Raw data and the features a decode of it must have (empty: no dumps).
    fn dumps(&self) -> Vec<(CpuData, FeatureSet)>;
    /// Whether the architecture presents baselines by the exact intersection (x86, POWER)
    /// rather than within the chosen definition's full set (s390x): then maximality also
    /// means no feature of every input is lost.
    fn exact_meet(&self) -> bool {
        true
    }
    /// Whether the architecture has superset answers at all (POWER has none: a CPU runs
    /// its own model or a compat mode, never "more").
    fn has_superset(&self) -> bool {
        true
    }
}

fn features(p: &Point) -> FeatureSet {
    p.features
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

// ---------------------------------------------------------------------------------------
// x86: the corpus's real CPUs (its 45 CPUID dumps) and variations of them at the CPUID
// level: a dump minus some of its features, written back as raw data with the dump's
// vendor and signature and decoded as a host, as a CPU of that kind with those features
// disabled in firmware would read. Also the corpus's host `<cpu>` files as they are.

/// A real CPU: vendor, leaf-1 signature and the features decode reads.
struct Real {
    vendor: Option<String>,
    signature: Option<u32>,
    features: FeatureSet,
}

struct X86World {
    label: &'static str,
    x86: cpucompat_x86::X86,
    reals: Vec<Real>,
    files: Vec<CpuDef>,
    dumps: Vec<CpuData>,
}

impl X86World {
    fn new(label: &'static str, cat: Arc<Compiled>) -> X86World {
        let x86 = cpucompat_x86::X86::new(cat);
        let dir = root().join("specs/cases/x86/data");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("corpus")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        let (mut reals, mut files, mut dumps) = (Vec::new(), Vec::new(), Vec::new());
        for n in &names {
            let text = read(&format!("specs/cases/x86/data/{n}"));
            let dump = n.starts_with("x86_64-cpuid-")
                && !n.contains("json")
                && !n.ends_with("-host.xml")
                && !n.ends_with("-guest.xml")
                && n.ends_with(".xml");
            if dump {
                if let Ok(d) = cpucompat_xml::parse_cpudata(&text) {
                    if let (Ok(h), Ok(f)) =
                        (x86.decode(&d, CpuKind::Host, None), x86.read_features(&d))
                    {
                        reals.push(Real {
                            vendor: h.vendor,
                            signature: d.cpuid(1, 0).map(|r| r[0]),
                            features: f,
                        });
                    }
                    dumps.push(d);
                }
            } else if n.ends_with("-host.xml") {
                if let Ok(cpus) = cpucompat_xml::parse_cpus(&text) {
                    files.extend(
                        cpus.into_iter()
                            .filter(|c| c.kind == CpuKind::Host && x86.check(c.clone()).is_ok()),
                    );
                }
            }
        }
        assert!(
            reals.len() >= 40 && files.len() >= 15,
            "x86 corpus: {} dumps, {} files",
            reals.len(),
            files.len()
        );
        X86World {
            label,
            x86,
            reals,
            files,
            dumps,
        }
    }

    /// Real CPU `i` minus `drop` (indices into its features), decoded as a host; `None`
    /// when no model is a subset of what is left.
    fn variant(&self, i: usize, drop: &[usize]) -> Option<cpucompat_x86::Cpu> {
        let r = &self.reals[i];
        let bits: Vec<_> = r.features.iter().collect();
        let mut f = r.features;
        for d in drop {
            f.remove(bits[d % bits.len()]);
        }
        let data = self.x86.encode(&f, r.vendor.as_deref(), r.signature);
        let def = self.x86.decode(&data, CpuKind::Host, None).ok()?;
        Some(self.x86.check(def).expect("a decoded host"))
    }

    fn drops(rng: &mut Rng, at_most: usize) -> Vec<usize> {
        (0..rng.below(at_most + 1))
            .map(|_| rng.next() as usize)
            .collect()
    }
}

impl World for X86World {
    type A = cpucompat_x86::X86;
    fn name(&self) -> &'static str {
        self.label
    }
    fn adapter(&self) -> &Self::A {
        &self.x86
    }
    fn draw(&self, rng: &mut Rng) -> cpucompat_x86::Cpu {
        if rng.below(4) == 0 {
            let def = self.files[rng.below(self.files.len())].clone();
            return self.x86.check(def).expect("a corpus host");
        }
        loop {
            let i = rng.below(self.reals.len());
            if let Some(c) = self.variant(i, &Self::drops(rng, 5)) {
                return c;
            }
        }
    }
    fn nested(&self, rng: &mut Rng) -> [cpucompat_x86::Cpu; 3] {
        // One real CPU, and two smaller variants: each drops more of its features.
        loop {
            let i = rng.below(self.reals.len());
            let mid = Self::drops(rng, 4);
            let mut low = mid.clone();
            low.extend(Self::drops(rng, 4));
            if let (Some(a), Some(b), Some(c)) = (
                self.variant(i, &low),
                self.variant(i, &mid),
                self.variant(i, &[]),
            ) {
                return [a, b, c];
            }
        }
    }
    fn pool(&self, rng: &mut Rng) -> Vec<cpucompat_x86::Cpu> {
        // One vendor per pool, so that most pools have an answer.
        let first = self.draw(rng);
        let vendor = first.def().vendor.clone();
        let mut pool = vec![first];
        for _ in 0..rng.below(4) {
            for _ in 0..8 {
                let c = self.draw(rng);
                if c.def().vendor == vendor {
                    pool.push(c);
                    break;
                }
            }
        }
        pool
    }
    fn dumps(&self) -> Vec<(CpuData, FeatureSet)> {
        self.dumps
            .iter()
            .filter_map(|d| Some((d.clone(), self.x86.data_features(d).ok()?)))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// POWER: real hosts known by their PVR (`specs/cases/ppc64/hosts`' dumps and a PVR of every
// server generation and DD level QEMU can host). A definition without a PVR is left out:
// QEMU's raw-mode rule needs both PVRs, so an unknown PVR matches any, and a wildcard is
// not transitive.

struct PpcWorld {
    ppc: cpucompat_ppc64::Ppc64,
    hosts: Vec<cpucompat_ppc64::Cpu>,
}

impl PpcWorld {
    fn new() -> PpcWorld {
        let map = cpucompat_ppc64::LibvirtMap::from_compiled(embedded::ppc64()).expect("map");
        let table = cpucompat_ppc64::QemuTable::newest().expect("table");
        let ppc = cpucompat_ppc64::Ppc64::new(Arc::new(map), table);
        let mut pvrs = Vec::new();
        for f in [
            "cpudata-power8.xml",
            "cpudata-power8e.xml",
            "cpudata-power9-dd2.0.xml",
            "cpudata-power9-dd2.2.xml",
            "cpudata-power9-dd2.3.xml",
            "cpudata-power10.xml",
            "cpudata-power11.xml",
        ] {
            let d = cpucompat_xml::parse_cpudata(&read(&format!("specs/cases/ppc64/hosts/{f}")))
                .expect("dump");
            pvrs.push(cpucompat_ppc64::pvr_of_data(&d).expect("a pvr"));
        }
        pvrs.extend(
            [
                0x004b_0201u32,
                0x004d_0200,
                0x004c_0100,
                0x004e_1200,
                0x004e_1201,
                0x004e_1202,
                0x004e_1203,
                0x0080_0200,
                0x0082_1200,
            ]
            .map(cpucompat_ppc64::Pvr::new),
        );
        let hosts = pvrs
            .into_iter()
            .filter(|p| table.class_for_pvr(*p).is_some())
            .filter_map(|p| ppc.decode_cpu(p, CpuKind::Host).ok())
            .collect();
        PpcWorld { ppc, hosts }
    }
}

impl World for PpcWorld {
    type A = cpucompat_ppc64::Ppc64;
    fn name(&self) -> &'static str {
        "ppc64 (cpu_map 12.8, QEMU newest)"
    }
    fn adapter(&self) -> &Self::A {
        &self.ppc
    }
    fn draw(&self, rng: &mut Rng) -> cpucompat_ppc64::Cpu {
        self.hosts[rng.below(self.hosts.len())].clone()
    }
    fn pool(&self, rng: &mut Rng) -> Vec<cpucompat_ppc64::Cpu> {
        // libvirt's POWER baseline needs one model: draw the pool within one model.
        let first = self.draw(rng);
        let model = first.model_name().map(str::to_string);
        let same: Vec<&cpucompat_ppc64::Cpu> = self
            .hosts
            .iter()
            .filter(|h| h.model_name().map(str::to_string) == model)
            .collect();
        let mut pool = vec![first];
        for _ in 0..rng.below(4) {
            pool.push(same[rng.below(same.len())].clone());
        }
        pool
    }
    fn has_superset(&self) -> bool {
        false
    }
    fn dumps(&self) -> Vec<(CpuData, FeatureSet)> {
        // A PVR dump decodes to a CPU with no features, which keeps its PVR (checked in
        // `decode_is_lossless` through the point and the definition).
        vec![0x004e_1202u32, 0x0080_0200, 0x004b_0201]
            .into_iter()
            .map(|v| {
                let d = CpuData {
                    arch: "ppc64".into(),
                    items: vec![cpucompat_xml::model::CpuDataItem::Pvr { value: v }],
                };
                (d, FeatureSet::EMPTY)
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// s390x: every QEMU definition (default and static models), with random optional features
// switched off. Base features stay: a real CPU of a generation has its whole base set, and
// QEMU presents a set without it as an older definition (so baselines of such sets are
// not idempotent in QEMU's own algebra).

struct S390World {
    label: &'static str,
    engine: cpucompat_s390x::Engine<'static>,
    models: Vec<String>,
}

impl S390World {
    fn new(label: &'static str, release: cpucompat_s390x::Release) -> S390World {
        let engine = cpucompat_s390x::Engine::tcg(release);
        let models = engine
            .definitions()
            .into_iter()
            .map(|d| d.name)
            .filter(|n| !matches!(n.as_str(), "host" | "qemu" | "max"))
            .collect();
        S390World {
            label,
            engine,
            models,
        }
    }
}

impl World for S390World {
    type A = cpucompat_s390x::Engine<'static>;
    fn name(&self) -> &'static str {
        self.label
    }
    fn adapter(&self) -> &Self::A {
        &self.engine
    }
    fn draw(&self, rng: &mut Rng) -> cpucompat_s390x::Cpu {
        let name = &self.models[rng.below(self.models.len())];
        let mut def = CpuDef::custom_guest(name, cpucompat_xml::model::Fallback::Allow);
        if rng.below(2) == 0 {
            let e = Adapter::expand(&self.engine, name).expect("a model");
            let cpucompat_contract::Details::S390x { static_model, .. } = e.details() else {
                panic!("an s390x model");
            };
            let base = Adapter::expand(&self.engine, static_model).expect("its base");
            for f in e.features().iter().filter(|f| !base.features().contains(f)) {
                if rng.below(8) == 0 {
                    def.features.push(Feature::new(f, Some(Policy::Disable)));
                }
            }
        }
        self.engine.check(def).expect("a model")
    }
    fn nested(&self, rng: &mut Rng) -> [cpucompat_s390x::Cpu; 3] {
        // One model; the middle CPU disables some optional features, the lowest more.
        let name = &self.models[rng.below(self.models.len())];
        let e = Adapter::expand(&self.engine, name).expect("a model");
        let cpucompat_contract::Details::S390x { static_model, .. } = e.details() else {
            panic!("an s390x model");
        };
        let base = Adapter::expand(&self.engine, static_model).expect("its base");
        let optional: Vec<&String> = e
            .features()
            .iter()
            .filter(|f| !base.features().contains(f))
            .collect();
        let cpu = |off: &[&String]| {
            let mut def = CpuDef::custom_guest(name, cpucompat_xml::model::Fallback::Allow);
            def.features = off
                .iter()
                .map(|f| Feature::new(f, Some(Policy::Disable)))
                .collect();
            self.engine.check(def).expect("a model")
        };
        let mid: Vec<&String> = optional
            .iter()
            .copied()
            .filter(|_| rng.below(4) == 0)
            .collect();
        let mut low = mid.clone();
        low.extend(
            optional
                .iter()
                .copied()
                .filter(|f| !mid.contains(f) && rng.below(4) == 0),
        );
        [cpu(&low), cpu(&mid), cpu(&[])]
    }
    fn dumps(&self) -> Vec<(CpuData, FeatureSet)> {
        vec![]
    }
    fn exact_meet(&self) -> bool {
        false
    }
}

// ---------------------------------------------------------------------------------------
// The laws, generic over the contract.

/// How a law fared for one architecture.
#[derive(Default)]
struct Tally {
    cases: usize,
    applied: usize,
}

fn runs<A: Adapter>(a: &A, host: &A::Cpu, guest: &A::Cpu) -> Option<bool> {
    a.compare(host, guest).ok().map(|c| c.runs())
}

fn opts() -> BaselineOptions {
    BaselineOptions::default()
}

fn baseline<A: Adapter>(a: &A, pool: &[A::Cpu]) -> Option<A::Cpu> {
    a.baseline(&mut pool.iter().cloned(), &opts()).ok()
}

fn compare_is_reflexive<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let h = w.draw(rng);
    let g = a.guest_of(&h).expect("guest_of a real host");
    let c = a.compare(&h, &g).expect("compare");
    assert_eq!(
        c.verdict(),
        Verdict::Identical,
        "{}: {:?}",
        w.name(),
        c.reasons()
    );
    true
}

fn compatibility_is_transitive<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let [z, x, y] = w.nested(rng);
    let guest = a.guest_of(&z).expect("guest");
    let gx = a.guest_of(&x).expect("guest");
    if runs(a, &x, &guest) != Some(true) || runs(a, &y, &gx) != Some(true) {
        return false;
    }
    assert_eq!(
        runs(a, &y, &guest),
        Some(true),
        "{}: transitivity\nx {:?}\ny {:?}\nz {:?}",
        w.name(),
        a.definition(&x),
        a.definition(&y),
        a.definition(&z)
    );
    true
}

fn superset_one_way_is_incompatible_the_other<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let (x, y) = (w.draw(rng), w.draw(rng));
    let (gx, gy) = (
        a.guest_of(&x).expect("guest"),
        a.guest_of(&y).expect("guest"),
    );
    let Ok(c) = a.compare(&x, &gy) else {
        return false;
    };
    if c.verdict() != Verdict::Superset {
        return false;
    }
    let back = a.compare(&y, &gx).expect("compare");
    assert_eq!(back.verdict(), Verdict::Incompatible, "{}", w.name());
    true
}

fn baseline_is_always_compatible<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let pool = w.pool(rng);
    let Some(b) = baseline(a, &pool) else {
        return false;
    };
    for h in &pool {
        let c = a.compare(h, &b).expect("compare");
        assert!(c.runs(), "{}: {:?}", w.name(), c.reasons());
    }
    true
}

fn baseline_is_maximal<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let pool = w.pool(rng);
    let Some(b) = baseline(a, &pool) else {
        return false;
    };
    let meet = pool
        .iter()
        .map(|h| features(&a.point(h)))
        .fold(a.universe(), |acc, f| acc & f);
    let got = features(&a.point(&b));
    assert_eq!(got, meet & a.ceiling(&b), "{}", w.name());
    if w.exact_meet() {
        assert_eq!(got, meet, "{}: every common feature is kept", w.name());
    }
    let lowest = pool.iter().map(|h| a.point(h).level).min().expect("a pool");
    assert!(a.point(&b).level <= lowest, "{}", w.name());
    true
}

fn same_point<A: Adapter>(a: &A, x: &A::Cpu, y: &A::Cpu) -> bool {
    let (p, q) = (a.point(x), a.point(y));
    p.features == q.features && p.level == q.level
}

fn baseline_is_commutative<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let pool = w.pool(rng);
    let mut rev = pool.clone();
    rev.reverse();
    match (baseline(a, &pool), baseline(a, &rev)) {
        (Some(x), Some(y)) => {
            assert!(same_point(a, &x, &y), "{}", w.name());
            true
        }
        _ => false,
    }
}

fn baseline_is_idempotent<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let pool = w.pool(rng);
    let twice: Vec<_> = pool.iter().chain(pool.iter()).cloned().collect();
    match (baseline(a, &pool), baseline(a, &twice)) {
        (Some(x), Some(y)) => {
            assert!(
                same_point(a, &x, &y),
                "{}: {:?}\n{:?}\n{:?}",
                w.name(),
                pool.iter().map(|c| a.definition(c)).collect::<Vec<_>>(),
                a.definition(&x),
                a.definition(&y)
            );
            true
        }
        _ => false,
    }
}

fn baseline_is_monotone<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let pool = w.pool(rng);
    let mut more = pool.clone();
    more.push(w.pool(rng)[0].clone());
    match (baseline(a, &pool), baseline(a, &more)) {
        (Some(x), Some(y)) => {
            let (fx, fy) = (features(&a.point(&x)), features(&a.point(&y)));
            assert!(fy.is_subset(&fx), "{}: a host added features", w.name());
            true
        }
        _ => false,
    }
}

fn baseline_is_the_greatest_lower_bound<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let pool = w.pool(rng);
    let mut bigger = pool.clone();
    bigger.extend(w.pool(rng));
    let (Some(b), Some(under)) = (baseline(a, &pool), baseline(a, &bigger)) else {
        return false;
    };
    // `under` runs on every host of the pool (always compatible); it must run on the
    // pool's baseline too.
    let x = under;
    if pool.iter().any(|h| runs(a, h, &x) != Some(true)) {
        return false;
    }
    assert_eq!(runs(a, &b, &x), Some(true), "{}", w.name());
    true
}

fn decode_is_lossless<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let dumps = w.dumps();
    if dumps.is_empty() {
        // s390x: QEMU's host-model form read back is the same model.
        let c = w.draw(rng);
        let back = a
            .cpu(a.definition(&a.guest_of(&c).expect("guest")))
            .expect("read back");
        assert!(same_point(a, &c, &back), "{}", w.name());
        return true;
    }
    let (d, want) = &dumps[rng.below(dumps.len())];
    for kind in [CpuKind::Host, CpuKind::Guest] {
        let c = a.decode(d, kind).expect("decode");
        assert_eq!(features(&a.point(&c)), *want, "{}", w.name());
    }
    true
}

fn xml_round_trip<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let c = if rng.below(2) == 0 {
        w.draw(rng)
    } else {
        match baseline(a, &w.pool(rng)) {
            Some(b) => b,
            None => return false,
        }
    };
    let text = cpucompat_xml::write_cpu(&a.definition(&c));
    let back = cpucompat_xml::parse_cpus(&text).expect("written XML parses");
    let back = a
        .cpu(back.into_iter().next().expect("one cpu"))
        .expect("check");
    assert!(same_point(a, &c, &back), "{}:\n{text}", w.name());
    true
}

fn json_round_trip<W: World>(w: &W, rng: &mut Rng) -> bool {
    let a = w.adapter();
    let c = w.draw(rng);
    let json = cpucompat_xml::cpu_to_json(&a.definition(&c));
    let back = cpucompat_xml::cpu_from_json(&json).expect("written JSON reads");
    let back = a.cpu(back).expect("check");
    assert!(same_point(a, &c, &back), "{}: {json}", w.name());
    true
}

type Law<W> = fn(&W, &mut Rng) -> bool;

/// Runs one law over every world; prints its row of the table.
fn run_law(name: &str, x86: Law<X86World>, ppc: Law<PpcWorld>, s390: Law<S390World>) {
    let worlds = worlds();
    let mut row = Vec::new();
    let mut seed = name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    let mut tally = |f: &mut dyn FnMut(&mut Rng) -> bool, vacuous: bool| {
        let mut t = Tally::default();
        seed = seed.wrapping_add(1);
        let mut rng = Rng(seed);
        for _ in 0..CASES {
            t.cases += 1;
            if f(&mut rng) {
                t.applied += 1;
            }
        }
        assert!(vacuous || t.applied > 0, "{name}: the premise never held");
        assert!(
            !vacuous || t.applied == 0,
            "{name}: a premise held that cannot"
        );
        t
    };
    let superset_law = name == "superset_one_way_is_incompatible_the_other";
    for w in &worlds.x86 {
        row.push((w.name(), tally(&mut |r| x86(w, r), false)));
    }
    let p = &worlds.ppc;
    row.push((
        p.name(),
        tally(&mut |r| ppc(p, r), superset_law && !p.has_superset()),
    ));
    for w in &worlds.s390x {
        row.push((w.name(), tally(&mut |r| s390(w, r), false)));
    }
    let cells: Vec<String> = row
        .iter()
        .map(|(n, t)| format!("{n} {}/{}", t.applied, t.cases))
        .collect();
    eprintln!("| {name} | {} |", cells.join(" | "));
}

struct Worlds {
    x86: Vec<X86World>,
    ppc: PpcWorld,
    s390x: Vec<S390World>,
}

fn worlds() -> &'static Worlds {
    static W: std::sync::OnceLock<Worlds> = std::sync::OnceLock::new();
    W.get_or_init(|| Worlds {
        x86: vec![
            X86World::new("x86_64 (cpu_map 12.8)", embedded::x86().clone()),
            X86World::new(
                "x86_64 (cpu_map 11.3)",
                embedded::x86_libvirt_11_3().clone(),
            ),
        ],
        ppc: PpcWorld::new(),
        s390x: vec![
            S390World::new("s390x (QEMU newest)", cpucompat_s390x::Release::Newest),
            S390World::new("s390x (QEMU 7.2)", cpucompat_s390x::Release::Qemu72),
        ],
    })
}

macro_rules! law {
    ($name:ident) => {
        #[test]
        fn $name() {
            run_law(stringify!($name), super::$name, super::$name, super::$name);
        }
    };
}

mod laws {
    law!(compare_is_reflexive);
    law!(compatibility_is_transitive);
    law!(superset_one_way_is_incompatible_the_other);
    law!(baseline_is_always_compatible);
    law!(baseline_is_maximal);
    law!(baseline_is_commutative);
    law!(baseline_is_idempotent);
    law!(baseline_is_monotone);
    law!(baseline_is_the_greatest_lower_bound);
    law!(decode_is_lossless);
    law!(xml_round_trip);
    law!(json_round_trip);
    use super::run_law;
}

// ---------------------------------------------------------------------------------------
// Bounded exhaustive: every CPU of a 6-feature x86 catalog.

fn toy() -> cpucompat_x86::X86 {
    let ron = r#"
Catalog(
    arch: X86,
    source: "six features",
    vendors: [Vendor(name: "Intel", string: Some("GenuineIntel"))],
    features: [
        Feature(name: "f0", location: Cpuid(leaf: 0x00000001, subleaf: 0x0, reg: Ecx, bit: 0)),
        Feature(name: "f1", location: Cpuid(leaf: 0x00000001, subleaf: 0x0, reg: Ecx, bit: 1)),
        Feature(name: "f2", location: Cpuid(leaf: 0x00000001, subleaf: 0x0, reg: Ecx, bit: 2)),
        Feature(name: "f3", location: Cpuid(leaf: 0x00000001, subleaf: 0x0, reg: Ecx, bit: 3)),
        Feature(name: "f4", location: Cpuid(leaf: 0x00000001, subleaf: 0x0, reg: Ecx, bit: 4)),
        Feature(name: "f5", location: Cpuid(leaf: 0x00000001, subleaf: 0x0, reg: Ecx, bit: 5)),
    ],
    models: [
        Model(name: "Base", vendor: Some("Intel")),
        Model(name: "Two", parent: Some("Base"), features: ["f0", "f1"]),
    ],
)
"#;
    let cat = Catalog::from_ron(ron, "toy").expect("toy catalog");
    cpucompat_x86::X86::new(Arc::new(Compiled::compile(&cat).expect("compiles")))
}

/// Every host of the toy catalog: model `Base` plus each of the 64 subsets.
fn toy_hosts(x86: &cpucompat_x86::X86) -> Vec<cpucompat_x86::Cpu> {
    (0u32..64)
        .map(|mask| {
            let mut def = CpuDef::custom_guest("Base", cpucompat_xml::model::Fallback::Allow);
            def.kind = CpuKind::Host;
            def.arch = Some("x86_64".into());
            def.mode = cpucompat_xml::model::Mode::Custom;
            def.match_ = None;
            def.model = Some(cpucompat_xml::model::ModelRef::named("Base", None));
            def.vendor = Some("Intel".into());
            def.features = (0..6)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| Feature::new(&format!("f{i}"), None))
                .collect();
            x86.check(def).expect("toy host")
        })
        .collect()
}

#[test]
fn laws_hold_exhaustively_over_a_six_feature_catalog() {
    let x86 = toy();
    let hosts = toy_hosts(&x86);
    let guests: Vec<_> = hosts
        .iter()
        .map(|h| x86.guest_of(h).expect("guest"))
        .collect();
    let (mut pairs, mut triples) = (0usize, 0usize);
    for (i, a) in hosts.iter().enumerate() {
        assert_eq!(
            Adapter::compare(&x86, a, &guests[i]).unwrap().verdict(),
            Verdict::Identical
        );
        for (j, b) in hosts.iter().enumerate() {
            pairs += 1;
            let ab = Adapter::compare(&x86, a, &guests[j]).unwrap().verdict();
            let ba = Adapter::compare(&x86, b, &guests[i]).unwrap().verdict();
            if ab == Verdict::Superset {
                assert_eq!(ba, Verdict::Incompatible);
            }
            let fa = features(&Adapter::point(&x86, a));
            let fb = features(&Adapter::point(&x86, b));
            assert_eq!(ab.runs(), fb.is_subset(&fa), "runs iff a subset");
            let pool = [a.clone(), b.clone()];
            if let Some(bl) = baseline(&x86, &pool) {
                assert_eq!(features(&Adapter::point(&x86, &bl)), fa & fb);
                assert!(pool.iter().all(|h| runs(&x86, h, &bl) == Some(true)));
            }
            for c in hosts.iter().step_by(1) {
                triples += 1;
                let fc = features(&Adapter::point(&x86, c));
                let left = baseline(&x86, &[a.clone(), b.clone(), c.clone()]);
                let right = baseline(&x86, &[c.clone(), b.clone(), a.clone()]);
                match (left, right) {
                    (Some(l), Some(r)) => {
                        assert_eq!(features(&Adapter::point(&x86, &l)), fa & fb & fc);
                        assert!(same_point(&x86, &l, &r));
                    }
                    (None, None) => assert!((fa & fb & fc).is_empty()),
                    _ => panic!("baseline answers depend on the order"),
                }
            }
        }
    }
    eprintln!("| exhaustive (6 features, x86) | 64 hosts, {pairs} pairs, {triples} triples |");
    assert_eq!((pairs, triples), (4096, 262_144));
}
