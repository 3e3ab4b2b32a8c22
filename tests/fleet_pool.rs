//! `cpucompat::fleet` pools over the corpus of real x86 CPUs, through the public API:
//! the pool baseline is the baseline of every host, the features a pool regains without a
//! class are exactly a direct baseline of the remaining hosts, the classes that hold the
//! pool down are named, and `--split 2` is the exhaustive optimum on every pool of up to 12
//! classes.
#[path = "fleet/corpus.rs"]
mod corpus;

use cpucompat::fleet::{Fleet, HostNames, PoolOptions, PoolReport, Richness};
use cpucompat::{BaselineOptions, Cpu, Engine};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

fn corpus() -> &'static (Engine, Vec<(PathBuf, Cpu)>) {
    static C: OnceLock<(Engine, Vec<(PathBuf, Cpu)>)> = OnceLock::new();
    C.get_or_init(|| {
        let e = corpus::x86();
        let h = corpus::hosts(&e);
        (e, h)
    })
}

fn fleet_of(engine: &Engine, cpus: &[&Cpu]) -> Fleet {
    let mut f = Fleet::new(engine);
    f.extend(cpus.iter().copied()).expect("classify");
    f
}

/// The hosts of a pool that are not in the class named `hosts`.
fn others<'a>(cpus: &[&'a Cpu], hosts: &HostNames) -> Vec<&'a Cpu> {
    cpus.iter()
        .copied()
        .filter(|c| !c.input().is_some_and(|i| hosts.contains(i)))
        .collect()
}

/// The indices without repeats, first occurrence kept (a host is named by its file).
fn distinct(idx: &[usize]) -> Vec<usize> {
    let mut seen = Vec::new();
    for &i in idx {
        if !seen.contains(&i) {
            seen.push(i);
        }
    }
    seen
}

fn check_pool(idx: &[usize]) -> Result<(), TestCaseError> {
    let idx = distinct(idx);
    let (engine, hosts) = corpus();
    let cpus: Vec<&Cpu> = idx.iter().map(|&i| &hosts[i].1).collect();
    let fleet = fleet_of(engine, &cpus);
    let report = PoolReport::new(&fleet, &PoolOptions::default()).expect("pool report");
    prop_assert_eq!(report.hosts(), cpus.len());
    // The pool baseline is the baseline of every host, streamed.
    let opts = BaselineOptions::default();
    let direct = engine.baseline(cpus.iter().copied(), &opts);
    match (&direct, report.baseline()) {
        (Ok(d), Some(b)) => prop_assert_eq!(d.to_xml(), b.cpu().to_xml()),
        (Err(e), None) => prop_assert_eq!(
            report.baseline_error().map(str::to_string),
            Some(e.to_string())
        ),
        (d, b) => prop_assert!(false, "direct {:?} vs report {:?}", d.is_ok(), b.is_some()),
    }
    let full: Vec<String> = report
        .baseline()
        .map(|b| b.features().to_vec())
        .unwrap_or_default();
    let mut holding = Vec::new();
    for c in report.classes() {
        let Some(w) = &c.without else {
            prop_assert_eq!(report.classes().len(), 1);
            continue;
        };
        let rest = others(&cpus, &c.hosts);
        prop_assert_eq!(rest.len() + c.host_count, cpus.len());
        match engine.baseline(rest.iter().copied(), &opts) {
            Ok(d) => {
                let f = engine.features(d.cpu()).expect("features");
                let gained: Vec<String> = f.into_iter().filter(|x| !full.contains(x)).collect();
                prop_assert_eq!(&w.gained, &gained, "class {}", c.id);
                prop_assert_eq!(w.baseline_model.as_deref(), d.cpu().model());
                prop_assert!(w.baseline_error.is_none());
            }
            Err(e) => {
                prop_assert_eq!(w.baseline_error.clone(), Some(e.to_string()));
                prop_assert!(w.gained.is_empty());
            }
        }
        // A class that gives anything back holds the pool down, and is named.
        let gives_back = !w.gained.is_empty()
            || w.cluster_mode.is_some()
            || (report.baseline().is_none() && w.baseline_error.is_none());
        prop_assert_eq!(w.holds_down, gives_back, "class {}", c.id);
        if w.holds_down {
            holding.push(c.id);
        }
    }
    prop_assert_eq!(report.held_down_by(), holding.as_slice());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random sub-pools of the corpus (Intel and AMD mixed).
    #[test]
    fn regained_features_are_a_baseline_of_the_remaining_hosts(
        idx in prop::collection::vec(0usize..90, 1..24)
    ) {
        check_pool(&idx)?;
    }

    /// Single-vendor sub-pools, where every pool has a baseline.
    #[test]
    fn single_vendor_pools_name_what_holds_them_down(
        idx in prop::collection::vec(0usize..90, 2..30), amd in any::<bool>()
    ) {
        let (_, hosts) = corpus();
        let want = if amd { "AMD" } else { "Intel" };
        let idx: Vec<usize> = idx
            .into_iter()
            .filter(|&i| hosts[i].1.definition().vendor.as_deref() == Some(want))
            .collect();
        prop_assume!(!idx.is_empty());
        check_pool(&idx)?;
    }
}

#[test]
fn the_whole_intel_corpus_is_held_down_by_its_two_atoms() {
    let (engine, hosts) = corpus();
    let cpus: Vec<&Cpu> = hosts
        .iter()
        .filter(|(_, c)| c.definition().vendor.as_deref() == Some("Intel"))
        .map(|(_, c)| c)
        .collect();
    let fleet = fleet_of(engine, &cpus);
    let report = PoolReport::new(&fleet, &PoolOptions::default()).unwrap();
    let held: Vec<(String, Vec<String>)> = report
        .held_down_by()
        .iter()
        .map(|id| {
            let c = &report.classes()[id.index()];
            let hosts = c
                .hosts
                .iter()
                .map(|h| h.rsplit('/').next().unwrap().to_string())
                .collect();
            (c.without.as_ref().unwrap().gained.join(","), hosts)
        })
        .collect();
    assert_eq!(
        held,
        [
            (
                "syscall".to_string(),
                vec![
                    "x86_64-cpuid-Atom-D510-host.xml".to_string(),
                    "x86_64-cpuid-Atom-D510.xml".to_string()
                ]
            ),
            (
                "pse36".to_string(),
                vec![
                    "x86_64-cpuid-Atom-N450-host.xml".to_string(),
                    "x86_64-cpuid-Atom-N450.xml".to_string()
                ]
            ),
        ]
    );
    assert_eq!(report.cluster_mode().unwrap().model, "n270-v1");
}

/// The richness of a direct baseline of some hosts (`None`: no baseline).
fn score(engine: &Engine, cpus: &[&Cpu]) -> Option<Richness> {
    let b = engine
        .baseline(cpus.iter().copied(), &BaselineOptions::default())
        .ok()?;
    let p = engine.point(b.cpu()).unwrap();
    Some(Richness {
        level: p.level.rank(),
        features: p.features.len() as u32,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// `--split 2` against every bipartition of the classes, each side a direct baseline of
    /// all its hosts.
    #[test]
    fn split_2_is_the_exhaustive_optimum(idx in prop::collection::vec(0usize..90, 2..16)) {
        let (engine, hosts) = corpus();
        let cpus: Vec<&Cpu> = distinct(&idx).iter().map(|&i| &hosts[i].1).collect();
        let fleet = fleet_of(engine, &cpus);
        let k = fleet.class_count();
        prop_assume!((2..=12).contains(&k));
        let opts = PoolOptions { split: Some(2), ..PoolOptions::default() };
        let report = PoolReport::new(&fleet, &opts).unwrap();
        let split = report.split().unwrap();
        prop_assert!(split.exact);
        // The hosts of each class, by the class report.
        let members: Vec<Vec<&Cpu>> = report
            .classes()
            .iter()
            .map(|c| cpus.iter().copied().filter(|x| x.input().is_some_and(|i| c.hosts.contains(i))).collect())
            .collect();
        let mut best: Option<Option<Richness>> = None;
        for mask in 1..(1usize << (k - 1)) {
            let mask = mask << 1; // class 0 is always on side B
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for (i, m) in members.iter().enumerate() {
                if mask & (1 << i) != 0 { a.extend(m) } else { b.extend(m) }
            }
            let v = score(engine, &a).min(score(engine, &b));
            if best.is_none_or(|x| v > x) {
                best = Some(v);
            }
        }
        prop_assert_eq!(split.poorest, best.flatten());
        // The proposal is a partition of the classes into two, and reaches that minimum.
        prop_assert_eq!(split.pools.len(), 2);
        let mut seen: Vec<usize> = split.pools.iter().flat_map(|p| p.classes.iter().map(|c| c.index())).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..k).collect::<Vec<_>>());
        let got = split
            .pools
            .iter()
            .map(|p| {
                let hs: Vec<&Cpu> = p.classes.iter().flat_map(|c| members[c.index()].iter().copied()).collect();
                score(engine, &hs)
            })
            .min()
            .flatten();
        prop_assert_eq!(got, split.poorest);
    }
}

#[test]
fn splits_refuse_impossible_counts() {
    let (engine, hosts) = corpus();
    let fleet = fleet_of(engine, &[&hosts[0].1, &hosts[1].1]);
    for k in [0, 3] {
        let opts = PoolOptions {
            split: Some(k),
            ..PoolOptions::default()
        };
        let e = PoolReport::new(&fleet, &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("cannot split 2 CPU classes into {k} sub-pools")
        );
    }
}

#[test]
fn large_pools_fall_back_to_the_stated_heuristic() {
    let (engine, hosts) = corpus();
    let cpus: Vec<&Cpu> = hosts
        .iter()
        .filter(|(_, c)| c.definition().vendor.as_deref() == Some("Intel"))
        .map(|(_, c)| c)
        .collect();
    let fleet = fleet_of(engine, &cpus);
    assert!(fleet.class_count() > cpucompat::fleet::EXACT_LIMIT);
    let opts = PoolOptions {
        split: Some(3),
        ..PoolOptions::default()
    };
    let report = PoolReport::new(&fleet, &opts).unwrap();
    let split = report.split().unwrap();
    assert!(!split.exact);
    assert!(split.method.starts_with("heuristic"));
    assert_eq!(split.pools.len(), 3);
    // Whatever the heuristic finds, it is never poorer than the whole pool.
    assert!(split.poorest >= report.baseline().map(|b| b.richness()));
}

#[test]
fn many_distinct_classes_stay_answerable() {
    // 1,024 distinct host CPUs: Nehalem plus each subset of ten features it lacks, in one
    // input.
    let (engine, _) = corpus();
    let ten = [
        "aes", "avx2", "bmi1", "bmi2", "fma", "f16c", "movbe", "rdrand", "rdseed", "adx",
    ];
    let mut xml = String::from("<hosts>\n");
    for mask in 0..1024u32 {
        xml.push_str("<cpu><arch>x86_64</arch><model>Nehalem</model><vendor>Intel</vendor>");
        for (i, f) in ten.iter().enumerate() {
            if mask & (1 << i) != 0 {
                xml.push_str(&format!("<feature name='{f}'/>"));
            }
        }
        xml.push_str("</cpu>\n");
    }
    xml.push_str("</hosts>\n");
    let fleet = Fleet::read(engine, [cpucompat::Input::from_text("many.xml", xml)]).unwrap();
    assert_eq!(fleet.class_count(), 1024);
    let report = PoolReport::new(&fleet, &PoolOptions::default()).unwrap();
    assert!(!report.without_computed());
    assert!(report.classes().iter().all(|c| c.without.is_none()));
    // The baseline is still every host's: the first host has none of the ten.
    let b = report.baseline().unwrap();
    for f in ten {
        assert!(!b.features().contains(&f.to_string()), "{f}");
    }
    let opts = PoolOptions {
        diagram: true,
        ..PoolOptions::default()
    };
    let e = PoolReport::new(&fleet, &opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the diagram draws at most 200 CPU classes; this pool has 1024"
    );
    // The heuristic split still answers, never poorer than the whole pool.
    let opts = PoolOptions {
        split: Some(2),
        skip_without: true,
        ..PoolOptions::default()
    };
    let split = PoolReport::new(&fleet, &opts).unwrap();
    let s = split.split().unwrap();
    assert!(!s.exact);
    assert!(s.poorest >= Some(b.richness()));
}
