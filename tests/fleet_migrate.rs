//! `cpucompat::fleet::migrate` agrees with `compare` for custom guests on every ordered pair
//! of corpus hosts: a custom guest that starts on the source arrives exactly where it would
//! start, and one that does not start on the source goes nowhere. Through the public API.
#[path = "fleet/corpus.rs"]
mod corpus;

use cpucompat::fleet::{migrate, place, Fleet, PlaceOptions};
use cpucompat::xml::model::{Match, Mode, Policy};
use cpucompat::{Cpu, CpuKind, Input};
use std::collections::HashMap;

/// The corpus's custom guests: every guest `<cpu>` file of `specs/cases/x86/data` that
/// the engine reads (exact and strict, without optional features, whose resolution on the
/// source is libvirt's deliberate difference from a plain compare), and every dump decoded
/// as a guest.
fn guests(engine: &cpucompat::Engine) -> Vec<Cpu> {
    let dir = corpus::root().join("specs/cases/x86/data");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let Ok(c) = engine.read_one(Input::path(&p)) else {
            continue;
        };
        let d = c.definition();
        if c.is_host()
            || d.mode != Mode::Custom
            || d.match_ == Some(Match::Minimum)
            || d.features
                .iter()
                .any(|f| d.policy_of(f) == Policy::Optional)
        {
            continue;
        }
        out.push(c);
    }
    let custom_files = out.len();
    assert!(custom_files >= 30, "only {custom_files} custom guest files");
    for p in corpus::files().into_iter().skip(45) {
        out.push(engine.decode(Input::path(&p), CpuKind::Guest).unwrap());
    }
    out
}

#[test]
fn migrate_agrees_with_compare_for_custom_guests_on_every_corpus_pair() {
    let engine = corpus::x86();
    let hosts = corpus::hosts(&engine);
    let by_name: HashMap<String, &Cpu> = hosts
        .iter()
        .map(|(p, c)| (p.display().to_string(), c))
        .collect();
    let mut fleet = Fleet::new(&engine);
    fleet.extend(hosts.iter().map(|(_, c)| c)).unwrap();
    let guests = guests(&engine);
    let opts = PlaceOptions {
        level: None,
        tsc_frequency: true,
    };
    let (mut pairs, mut arrivals, mut refusals) = (0usize, 0usize, 0usize);
    for g in &guests {
        // What compare says, host by host.
        let runs: HashMap<&str, cpucompat::Comparison> = by_name
            .iter()
            .map(|(n, h)| (n.as_str(), engine.compare(h, g).unwrap()))
            .collect();
        for (src_name, src) in &hosts {
            let src_name = src_name.display().to_string();
            let m = migrate(g, src, &fleet, &opts).unwrap();
            let starts = runs[src_name.as_str()].runs();
            assert_eq!(m.source().unwrap().starts, starts, "{src_name}");
            for t in m.targets() {
                for h in &t.hosts {
                    pairs += 1;
                    let cmp = &runs[h.as_str()];
                    if !starts {
                        assert!(!t.fits);
                        assert_eq!(t.reasons[0].rule, "source");
                        refusals += 1;
                        continue;
                    }
                    assert_eq!(
                        t.fits,
                        cmp.runs(),
                        "guest {:?} from {src_name} to {h}: {:?}",
                        g.input(),
                        t.reasons
                    );
                    assert_eq!(t.missing, cmp.missing(), "{h}");
                    assert_eq!(t.forbidden, cmp.forbidden(), "{h}");
                    arrivals += usize::from(t.fits);
                }
            }
        }
        // And `place` is compare, host by host.
        let p = place(g, &fleet, &PlaceOptions::default()).unwrap();
        for t in p.targets() {
            for h in &t.hosts {
                assert_eq!(t.fits, runs[h.as_str()].runs(), "place {h}");
            }
        }
    }
    eprintln!(
        "{} guests × 90 sources × 90 destinations = {pairs} migrations: {arrivals} arrive, {refusals} refused at the source",
        guests.len()
    );
    assert_eq!(pairs, guests.len() * 90 * 90);
    assert!(arrivals > 0 && refusals > 0);
}

#[test]
fn an_invtsc_guest_migrates_only_with_a_tsc_frequency() {
    let engine = corpus::x86();
    let host = engine
        .read_one(Input::path(
            corpus::root().join("specs/cases/x86/data/x86_64-cpuid-Core-i7-4600U-host.xml"),
        ))
        .unwrap();
    let guest = engine.guest_of(&host).unwrap();
    assert!(engine
        .features(&guest)
        .unwrap()
        .contains(&"invtsc".to_string()));
    let mut fleet = Fleet::new(&engine);
    fleet.extend([&host]).unwrap();
    let refused = migrate(&guest, &host, &fleet, &PlaceOptions::default()).unwrap();
    assert!(!refused.fits_somewhere());
    let why = &refused.targets()[0].reasons[0];
    assert_eq!(why.rule, "libvirt-invtsc");
    assert_eq!(
        why.message,
        "domain has 'invtsc' CPU feature but TSC frequency is not specified"
    );
    let opts = PlaceOptions {
        level: None,
        tsc_frequency: true,
    };
    assert!(migrate(&guest, &host, &fleet, &opts)
        .unwrap()
        .fits_somewhere());
}
