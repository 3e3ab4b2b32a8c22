//! The laws of the x86 adapter, checked over pools of real CPUs with random features
//! removed (the CPUs are the dumps under `tests/data`; each case runs on libvirt 11.3's
//! map or on the default 12.8 one), plus decode of arbitrary dumps and the text parsers
//! on arbitrary text.
//!
//! A generated CPU is "dump `i` minus some of its features", written back as raw CPUID data
//! with the dump's vendor and signature and decoded as a host: a realistic host `<cpu>`.
mod common;

use common::*;
use cpucompat_lattice::FeatureSet;
use cpucompat_x86::{BaselineOptions, Verdict, X86Error, X86};
use cpucompat_xml::model::{CpuData, CpuDataItem, CpuDef, CpuKind};
use proptest::prelude::*;
use proptest::sample::Index;
use std::sync::OnceLock;

const INTEL: [&str; 8] = [
    "Xeon-Gold-6148",
    "Core-i7-2600-xsaveopt",
    "Core-i7-4600U",
    "Xeon-E5-2609-v3",
    "Pentium-P6100",
    "Ice-Lake-Server",
    "Core-i7-8550U",
    "Atom-D510",
];
const AMD: [&str; 2] = ["EPYC-7601-32-Core-ibpb", "Opteron-6234"];

/// A real CPU: vendor, leaf-1 signature and the features decode reads.
struct Real {
    vendor: String,
    signature: u32,
    features: FeatureSet,
}

/// The engine over libvirt 11.3's map (`false`) or the default 12.8 one (`true`), and
/// the real CPUs read with it (bit positions differ between catalogs).
fn engine(default_catalog: bool) -> (X86, &'static Vec<Real>) {
    static R: [OnceLock<Vec<Real>>; 2] = [OnceLock::new(), OnceLock::new()];
    let x = if default_catalog {
        X86::new(cpucompat_catalog::embedded::x86().clone())
    } else {
        x86()
    };
    let reals = R[usize::from(default_catalog)].get_or_init(|| {
        INTEL
            .iter()
            .chain(AMD.iter())
            .map(|cpu| {
                let d = dump(cpu);
                let signature = d.cpuid(1, 0).map(|r| r[0]).unwrap();
                let host = x.decode(&d, CpuKind::Host, None).unwrap();
                Real {
                    vendor: host.vendor.unwrap(),
                    signature,
                    features: x.read_features(&d).unwrap(),
                }
            })
            .collect()
    });
    (x, reals)
}

/// Which real CPU (within a vendor group) and which of its features to drop.
#[derive(Clone, Debug)]
struct Gen {
    cpu: Index,
    drop: Vec<Index>,
}

fn gen() -> impl Strategy<Value = Gen> {
    (any::<Index>(), prop::collection::vec(any::<Index>(), 0..6))
        .prop_map(|(cpu, drop)| Gen { cpu, drop })
}

/// A vendor group and 1..=4 CPUs of it.
fn pool() -> impl Strategy<Value = (bool, Vec<Gen>)> {
    (any::<bool>(), prop::collection::vec(gen(), 1..=4))
}

fn real<'r>(r: &'r [Real], amd: bool, g: &Gen) -> &'r Real {
    if amd {
        &r[INTEL.len() + g.cpu.index(AMD.len())]
    } else {
        &r[g.cpu.index(INTEL.len())]
    }
}

fn minus(set: FeatureSet, drop: &[Index]) -> FeatureSet {
    let bits: Vec<_> = set.iter().collect();
    let mut out = set;
    for d in drop {
        out.remove(bits[d.index(bits.len())]);
    }
    out
}

fn data(x: &X86, r: &[Real], amd: bool, g: &Gen, extra_drop: &[Index]) -> CpuData {
    let r = real(r, amd, g);
    let f = minus(minus(r.features, &g.drop), extra_drop);
    x.encode(&f, Some(&r.vendor), Some(r.signature))
}

/// Host decodes may find no model that is a subset of a heavily trimmed CPU.
fn host(x: &X86, d: &CpuData) -> Option<CpuDef> {
    match x.decode(d, CpuKind::Host, None) {
        Ok(c) => Some(c),
        Err(X86Error::NoSuitableModel) => None,
        Err(e) => panic!("{e}"),
    }
}

fn hosts(x: &X86, r: &[Real], amd: bool, gens: &[Gen]) -> Option<Vec<CpuDef>> {
    gens.iter()
        .map(|g| host(x, &data(x, r, amd, g, &[])))
        .collect()
}

fn runs(x: &X86, host: &CpuDef, guest: &CpuDef) -> bool {
    x.compare(host, guest).unwrap().verdict() != Verdict::Incompatible
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn decode_is_lossless(
        cat in any::<bool>(),amd in any::<bool>(), g in gen()) {
        let (x, reals) = engine(cat);
        let d = data(&x, reals, amd, &g, &[]);
        let read = x.read_features(&d).unwrap();
        for kind in [CpuKind::Host, CpuKind::Guest] {
            let Some(def) = (match x.decode(&d, kind, None) {
                Ok(c) => Some(c),
                Err(X86Error::NoSuitableModel) if kind == CpuKind::Host => {
                    // Only when no host-decodable model fits under the CPU.
                    let models = x.catalog().models();
                    prop_assert!(!models.iter().any(|m| m.decode.is_some_and(|d| d.host)
                        && m.features.is_subset(&read)
                        && (m.vendor.is_none() || m.vendor == x.catalog().vendor(&real(reals, amd, &g).vendor))));
                    None
                }
                Err(e) => panic!("{e}"),
            }) else { continue };
            prop_assert_eq!(x.features_of(&def).unwrap(), read);
            // Print, parse: the same definition.
            let again = cpu(&cpucompat_xml::write_cpu(&def));
            prop_assert_eq!(x.features_of(&again).unwrap(), read);
            prop_assert_eq!(summary(&again), summary(&def));
        }
    }

    #[test]
    fn compare_is_reflexive(
        cat in any::<bool>(),amd in any::<bool>(), g in gen()) {
        let (x, reals) = engine(cat);
        let d = data(&x, reals, amd, &g, &[]);
        let guest = x.decode(&d, CpuKind::Guest, None).unwrap();
        prop_assert_eq!(x.compare(&guest, &guest).unwrap().verdict(), Verdict::Identical);
        if let Some(h) = host(&x, &d) {
            prop_assert_eq!(x.compare(&h, &h).unwrap().verdict(), Verdict::Identical);
            prop_assert_eq!(x.compare(&h, &guest).unwrap().verdict(), Verdict::Identical);
        }
    }

    #[test]
    fn superset_one_way_is_incompatible_the_other_way(
        cat in any::<bool>(),
        amd in any::<bool>(),
        g in gen(),
        more in prop::collection::vec(any::<Index>(), 1..6),
        other in gen(),
    ) {
        let (x, reals) = engine(cat);
        let a = data(&x, reals, amd, &g, &[]);
        let b = data(&x, reals, amd, &g, &more);
        let o = data(&x, reals, amd, &other, &[]);
        let defs: Vec<CpuDef> = [&a, &b, &o]
            .iter()
            .flat_map(|d| {
                host(&x, d)
                    .into_iter()
                    .chain(std::iter::once(x.decode(d, CpuKind::Guest, None).unwrap()))
            })
            .collect();
        for p in &defs {
            for q in &defs {
                if x.compare(p, q).unwrap().verdict() == Verdict::Superset {
                    prop_assert_eq!(x.compare(q, p).unwrap().verdict(), Verdict::Incompatible);
                }
            }
        }
    }

    #[test]
    fn compatibility_is_transitive(
        cat in any::<bool>(),
        amd in any::<bool>(),
        g in gen(),
        d2 in prop::collection::vec(any::<Index>(), 0..4),
        d3 in prop::collection::vec(any::<Index>(), 0..4),
        other in gen(),
    ) {
        // a ⊇ b ⊇ c by construction, plus an unrelated CPU to make some premises fail.
        let (x, reals) = engine(cat);
        let a = data(&x, reals, amd, &g, &[]);
        let b = data(&x, reals, amd, &g, &d2);
        let mut d23 = d2.clone();
        d23.extend(d3.iter().cloned());
        let c = data(&x, reals, amd, &g, &d23);
        let o = data(&x, reals, amd, &other, &[]);
        let hosts: Vec<CpuDef> = [&a, &b, &o].iter().filter_map(|d| host(&x, d)).collect();
        let guests: Vec<CpuDef> = [&b, &c, &o]
            .iter()
            .map(|d| x.decode(d, CpuKind::Guest, None).unwrap())
            .collect();
        // Guests are also hosts (their policy −1 view).
        let all: Vec<&CpuDef> = hosts.iter().chain(guests.iter()).collect();
        for p in &all {
            for q in &all {
                for r in &all {
                    if runs(&x, p, q) && runs(&x, q, r) {
                        prop_assert!(runs(&x, p, r));
                    }
                }
            }
        }
    }

    #[test]
    fn baseline_is_always_compatible(
        cat in any::<bool>(),(amd, gens) in pool(), migratable in any::<bool>()) {
        let (x, reals) = engine(cat);
        let Some(pool) = hosts(&x, reals, amd, &gens) else { return Ok(()) };
        let opts = BaselineOptions { migratable, ..Default::default() };
        let b = x.baseline(&pool, &opts).unwrap();
        for h in &pool {
            let c = x.compare(h, &b).unwrap();
            prop_assert_ne!(c.verdict(), Verdict::Incompatible, "{:?}", msgs(&c));
        }
        let e = x.baseline(&pool, &BaselineOptions { expand_features: true, ..opts }).unwrap();
        for h in &pool {
            prop_assert_ne!(x.compare(h, &e).unwrap().verdict(), Verdict::Incompatible);
        }
    }

    #[test]
    fn baseline_is_maximal(
        cat in any::<bool>(),(amd, gens) in pool(), migratable in any::<bool>()) {
        let (x, reals) = engine(cat);
        let Some(pool) = hosts(&x, reals, amd, &gens) else { return Ok(()) };
        let mut meet = pool.iter().fold(x.catalog().all_features(), |acc, h| acc & x.features_of(h).unwrap());
        if migratable {
            meet -= x.catalog().migration_blockers();
        }
        let opts = BaselineOptions { migratable, ..Default::default() };
        let b = x.baseline(&pool, &opts).unwrap();
        prop_assert_eq!(x.features_of(&b).unwrap(), meet);
        prop_assert_eq!(x.features_of(&x.expand(&b).unwrap()).unwrap(), meet);
        let e = x.baseline(&pool, &BaselineOptions { expand_features: true, ..opts }).unwrap();
        prop_assert_eq!(x.features_of(&e).unwrap(), meet);
    }

    #[test]
    fn baseline_is_commutative(
        cat in any::<bool>(),(amd, gens) in pool(), rot in any::<Index>()) {
        let (x, reals) = engine(cat);
        let Some(pool) = hosts(&x, reals, amd, &gens) else { return Ok(()) };
        let mut other = pool.clone();
        other.rotate_left(rot.index(pool.len()));
        other.reverse();
        let opts = BaselineOptions::default();
        let a = x.baseline(&pool, &opts).unwrap();
        let b = x.baseline(&other, &opts).unwrap();
        prop_assert_eq!(x.features_of(&a).unwrap(), x.features_of(&b).unwrap());
    }

    #[test]
    fn baseline_is_idempotent_and_monotone(
        cat in any::<bool>(),(amd, gens) in pool(), more in gen()) {
        let (x, reals) = engine(cat);
        let Some(pool) = hosts(&x, reals, amd, &gens) else { return Ok(()) };
        let opts = BaselineOptions::default();
        let b = x.baseline(&pool, &opts).unwrap();
        let fb = x.features_of(&b).unwrap();
        // The baseline of the baseline is itself.
        let bb = x.baseline(std::slice::from_ref(&b), &opts).unwrap();
        prop_assert_eq!(x.features_of(&bb).unwrap(), fb);
        // One more host never adds a feature.
        let Some(extra) = host(&x, &data(&x, reals, amd, &more, &[])) else { return Ok(()) };
        let mut bigger = pool.clone();
        bigger.push(extra);
        let b2 = x.baseline(&bigger, &opts).unwrap();
        prop_assert!(x.features_of(&b2).unwrap().is_subset(&fb));
    }

    #[test]
    fn baseline_is_the_greatest_lower_bound(
        cat in any::<bool>(),
        (amd, gens) in pool(),
        other in gen(),
        drop in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        // A guest that runs on every host of the pool runs on the baseline. Guests: one
        // below the pool's meet (runs everywhere by construction), and one unrelated CPU.
        let (x, reals) = engine(cat);
        let Some(pool) = hosts(&x, reals, amd, &gens) else { return Ok(()) };
        let meet = pool.iter().fold(x.catalog().all_features(), |acc, h| acc & x.features_of(h).unwrap());
        let vendor = pool[0].vendor.as_deref();
        let below = x.encode(&minus(meet, &drop), vendor, None);
        let below = x.decode(&below, CpuKind::Guest, None).unwrap();
        let unrelated = x.decode(&data(&x, reals, amd, &other, &drop), CpuKind::Guest, None).unwrap();
        prop_assert!(pool.iter().all(|h| runs(&x, h, &below)));
        let b = x.baseline(&pool, &BaselineOptions::default()).unwrap();
        for guest in [&below, &unrelated] {
            if pool.iter().all(|h| runs(&x, h, guest)) {
                prop_assert!(runs(&x, &b, guest));
            }
        }
    }
}

fn arbitrary_item() -> impl Strategy<Value = CpuDataItem> {
    prop_oneof![
        (
            prop_oneof![0u32..0x30, 0x8000_0000u32..0x8000_0030, any::<u32>()],
            0u32..4,
            any::<[u32; 4]>()
        )
            .prop_map(|(leaf, subleaf, regs)| CpuDataItem::Cpuid {
                leaf,
                subleaf,
                regs
            }),
        (
            prop_oneof![Just(0x10au32), 0x480u32..0x492, any::<u32>()],
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(|(index, eax, edx)| CpuDataItem::Msr { index, eax, edx }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any dump decodes without panicking, under both catalogs, and losslessly when it
    /// decodes at all.
    #[test]
    fn decode_is_lossless_on_arbitrary_data(
        items in prop::collection::vec(arbitrary_item(), 0..40),
        default_catalog in any::<bool>(),
    ) {
        let x = if default_catalog { X86::new(cpucompat_catalog::embedded::x86().clone()) } else { x86() };
        let d = CpuData { arch: "x86".into(), items };
        let read = x.read_features(&d).unwrap();
        for kind in [CpuKind::Host, CpuKind::Guest] {
            match x.decode(&d, kind, None) {
                Ok(def) => prop_assert_eq!(x.features_of(&def).unwrap(), read),
                Err(e) => prop_assert_eq!(e, X86Error::NoSuitableModel),
            }
        }
    }

    /// The text parsers answer every input with a value or an error, never a panic.
    #[test]
    fn parsers_never_panic(text in "\\PC{0,200}", lines in prop::collection::vec("[ 0-9a-fxCPU:=abcdex]{0,80}", 0..6)) {
        let _ = cpucompat_x86::parse_cpuid_r(&text);
        let _ = cpucompat_x86::parse_cpuid_r(&lines.join("\n"));
        let _ = cpucompat_x86::HypervisorModels::from_qmp_json(&text);
        let _ = x86().qmp_expansion_data(&text);
    }
}

/// The messages of a comparison's reasons.
fn msgs(c: &cpucompat_x86::Comparison) -> Vec<String> {
    c.reasons()
        .iter()
        .map(|r| r.message().to_string())
        .collect()
}
