//! libvirt 11.3's QEMU driver without libvirt: `hypervisor-cpu-compare` and
//! `hypervisor-cpu-baseline` computed from this machine's committed capabilities cache
//! (`specs/qemu-driver/x86_64-qemu-7.2.qemucaps.xml`, QEMU 7.2 on an AMD EPYC nested KVM
//! guest) and libvirt 11.3's map, against the answers the live `virsh` gave for the same
//! inputs (`specs/qemu-driver/x86_64-{compare,baseline}.jsonl`, recorded by
//! `diff_qemu_driver.rs` with `CPUCOMPAT_RECORD=1`): exit status, stdout and stderr equal.
//!
//! Then what domcapabilities alone can and cannot give (the reference's §9), and the rules
//! one by one with their exact messages.
mod qdriver;

use cpucompat_x86::{CompareRoute, HostSource, HypervisorBaselineOptions, QemuHost, X86Error, X86};
use cpucompat_xml::qemucaps::{self, Accel, Usable};
use cpucompat_xml::{parse_cpus, Policy};
use qdriver::{Case, Outcome, Tally};

fn x86() -> X86 {
    X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone())
}

fn cache_text() -> String {
    std::fs::read_to_string(qdriver::specs_dir().join("x86_64-qemu-7.2.qemucaps.xml"))
        .expect("committed cache")
}

fn host(accel: Accel) -> QemuHost {
    let caps = qemucaps::parse_qemu_caps(&cache_text()).unwrap();
    x86().qemu_host(&caps, accel, "x86_64", None).unwrap()
}

fn domcaps_host(virttype: &str) -> QemuHost {
    let text = std::fs::read_to_string(
        qdriver::specs_dir().join(format!("x86_64-{virttype}.domcaps.xml")),
    )
    .unwrap();
    let dc = qemucaps::parse_domain_caps(&text).unwrap();
    x86().qemu_host_from_domcaps(&dc).unwrap()
}

fn replay(file: &str) -> Vec<(Case, Outcome)> {
    qdriver::read_jsonl(&qdriver::specs_dir().join(file))
}

#[test]
fn the_committed_cache_reads_as_libvirt_wrote_it() {
    let caps = qemucaps::parse_qemu_caps(&cache_text()).unwrap();
    assert_eq!(caps.emulator, "/usr/bin/qemu-system-x86_64");
    assert_eq!(caps.version_triple(), Some((7, 2, 22)));
    assert_eq!(caps.definitions_for(Accel::Kvm).count(), 132);
    assert_eq!(caps.definitions_for(Accel::Tcg).count(), 132);
    let kvm = caps.host_cpu(Accel::Kvm).unwrap();
    assert!(kvm.migratability);
    let invtsc = kvm.props.iter().find(|p| p.name == "invtsc").unwrap();
    assert_eq!(invtsc.migratable, Some(false));
    // The filter F: this QEMU's property names that the 11.3 map knows (293 of 364, the
    // same for both accelerators).
    let cat = cpucompat_catalog::embedded::x86_libvirt_11_3();
    for accel in [Accel::Kvm, Accel::Tcg] {
        let h = host(accel);
        let f = h.filter().unwrap();
        let mut known: Vec<&str> = f
            .known
            .iter()
            .filter(|n| cat.feature(n).is_some())
            .map(String::as_str)
            .collect();
        known.sort_unstable();
        known.dedup();
        assert_eq!(known.len(), 293, "{accel:?}");
    }
}

#[test]
fn recorded_compare_answers_are_reproduced() {
    let x86 = x86();
    let hosts = [("kvm", host(Accel::Kvm)), ("qemu", host(Accel::Tcg))];
    let mut tally = Tally::default();
    for (case, theirs) in replay("x86_64-compare.jsonl") {
        let h = &hosts.iter().find(|(v, _)| *v == case.virttype).unwrap().1;
        tally.add(&case, &theirs, &qdriver::ours(&x86, h, &case));
    }
    assert!(tally.cases >= 900);
    tally.check("recorded x86 hypervisor-cpu-compare");
}

#[test]
fn recorded_baseline_answers_are_reproduced() {
    let x86 = x86();
    let hosts = [("kvm", host(Accel::Kvm)), ("qemu", host(Accel::Tcg))];
    let mut tally = Tally::default();
    for (case, theirs) in replay("x86_64-baseline.jsonl") {
        let h = &hosts.iter().find(|(v, _)| *v == case.virttype).unwrap().1;
        tally.add(&case, &theirs, &qdriver::ours(&x86, h, &case));
    }
    assert!(tally.cases >= 900);
    tally.check("recorded x86 hypervisor-cpu-baseline");
}

#[test]
fn the_recomputed_host_model_is_the_one_domcapabilities_prints() {
    for (accel, virttype) in [(Accel::Kvm, "kvm"), (Accel::Tcg, "qemu")] {
        let ours = host(accel).host_model().unwrap().normalized();
        let printed = domcaps_host(virttype).host_model().unwrap().normalized();
        assert_eq!(
            cpucompat_xml::write_cpu(&ours),
            cpucompat_xml::write_cpu(&printed),
            "{virttype}"
        );
    }
    // This machine: KVM offers EPYC-Milan with most of it disabled, TCG offers EPYC.
    assert_eq!(
        host(Accel::Kvm).host_model().unwrap().model_name(),
        Some("EPYC-Milan")
    );
    assert_eq!(
        host(Accel::Tcg).host_model().unwrap().model_name(),
        Some("EPYC")
    );
}

/// With domcapabilities only, the answers differ exactly where the reference (§9) says:
/// compare of QEMU-only names (`max`, `base`, `host`: no shortcut), the order of the
/// blockers in the unusable check's message; baselines that keep features QEMU does not
/// know (no filter F) or, with `--migratable`, drop `invtsc` by the map's mark.
#[test]
fn domcapabilities_alone_differ_only_where_expected() {
    let x86 = x86();
    let hosts = [("kvm", domcaps_host("kvm")), ("qemu", domcaps_host("qemu"))];
    for (_, h) in &hosts {
        assert_eq!(h.source(), HostSource::DomainCaps);
        assert!(h.filter().is_none());
        assert!(h.definition("max").is_none());
    }
    let (mut compare_equal, mut compare_total, mut verdicts_equal) = (0, 0, 0);
    for (case, theirs) in replay("x86_64-compare.jsonl") {
        let h = &hosts.iter().find(|(v, _)| *v == case.virttype).unwrap().1;
        let mine = qdriver::ours(&x86, h, &case);
        compare_total += 1;
        if qdriver::agree(&theirs, &mine) {
            compare_equal += 1;
            verdicts_equal += 1;
            continue;
        }
        let first_model = parse_cpus(&case.input)
            .ok()
            .and_then(|c| c.first().and_then(|c| c.model_name().map(str::to_string)));
        let qemu_only = matches!(first_model.as_deref(), Some("max" | "base" | "host"));
        let same_blockers = |a: &str, b: &str| {
            let set = |s: &str| {
                let mut v: Vec<String> = s
                    .rsplit(": ")
                    .next()
                    .unwrap_or_default()
                    .split(", ")
                    .map(str::to_string)
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            a.contains("does not provide required features") && set(a) == set(b)
        };
        if theirs.exit == mine.exit && same_blockers(&theirs.stderr, &mine.stderr) {
            verdicts_equal += 1;
            continue;
        }
        assert!(
            qemu_only,
            "unexpected difference:\n{case:?}\n{theirs:?}\n{mine:?}"
        );
    }
    eprintln!(
        "domcapabilities only, compare: {compare_equal} of {compare_total} equal, \
         {verdicts_equal} verdicts equal"
    );
    let (mut base_equal, mut base_total) = (0, 0);
    for (case, theirs) in replay("x86_64-baseline.jsonl") {
        let h = &hosts.iter().find(|(v, _)| *v == case.virttype).unwrap().1;
        let mine = qdriver::ours(&x86, h, &case);
        base_total += 1;
        if qdriver::agree(&theirs, &mine) {
            base_equal += 1;
            continue;
        }
        assert_eq!(theirs.exit, mine.exit, "{case:?}");
        let model = |o: &Outcome| {
            o.stdout
                .lines()
                .find(|l| l.contains("<model"))
                .map(str::to_string)
        };
        if case.has("--migratable") {
            continue;
        }
        assert_eq!(model(&theirs), model(&mine), "{case:?}");
    }
    eprintln!("domcapabilities only, baseline: {base_equal} of {base_total} equal");
    assert!(
        compare_equal < compare_total && base_equal < base_total,
        "the gaps are real"
    );
}

fn cpu(text: &str) -> cpucompat_xml::CpuDef {
    parse_cpus(text).unwrap().remove(0)
}

#[test]
fn compare_routes_follow_libvirts_order() {
    let x86 = x86();
    let tcg = host(Accel::Tcg);
    let kvm = host(Accel::Kvm);
    let route = |h: &QemuHost, t: &str| x86.hypervisor_compare(h, &cpu(t)).map(|r| r.route);
    // QEMU calls qemu64 usable under TCG: the shortcut ignores strict match and vendor.
    assert_eq!(
        route(
            &tcg,
            "<cpu match='strict'><model>qemu64</model><vendor>Intel</vendor></cpu>"
        ),
        Ok(CompareRoute::UsableShortcut)
    );
    // ... but a required feature leaves the shortcut: qemu64 has the compat flag.
    assert_eq!(
        route(
            &tcg,
            "<cpu><model>qemu64</model><feature name='sse2'/></cpu>"
        ),
        Ok(CompareRoute::Compat)
    );
    // max is QEMU's, not libvirt's: the shortcut, or "unknown CPU model max".
    assert_eq!(
        route(&kvm, "<cpu><model>max</model></cpu>"),
        Ok(CompareRoute::UsableShortcut)
    );
    let e = route(&kvm, "<cpu><model>max</model><feature name='sse2'/></cpu>").unwrap_err();
    assert_eq!(e.to_string(), "unknown CPU model max");
    assert_eq!(e.libvirt_text(), "invalid argument: unknown CPU model max");
    // -vN models have no compat flag: QEMU's blockers decide, an unknown feature is
    // just missing.
    let r = x86
        .hypervisor_compare(
            &kvm,
            &cpu("<cpu><model>Haswell-v1</model><feature name='no-such-feature'/></cpu>"),
        )
        .unwrap();
    assert_eq!(r.route, CompareRoute::Unusable);
    assert_eq!(
        r.comparison.missing().last().map(String::as_str),
        Some("no-such-feature")
    );
    let e = x86
        .hypervisor_compare(
            &kvm,
            &cpu("<cpu><model>Haswell</model><feature name='no-such-feature'/></cpu>"),
        )
        .unwrap_err();
    assert_eq!(
        e.libvirt_text(),
        "internal error: Unknown CPU feature no-such-feature"
    );
    // A model QEMU 7.2 lacks takes the compat check whatever its flag.
    assert_eq!(
        route(&tcg, "<cpu><model>GraniteRapids</model></cpu>"),
        Ok(CompareRoute::Compat)
    );
}

#[test]
fn the_unusable_check_lists_blockers_in_qemus_order_then_requires() {
    let x86 = x86();
    let kvm = host(Accel::Kvm);
    let def = kvm.definition("Haswell-v1").unwrap();
    assert_eq!(def.usable, Usable::No);
    let r = x86
        .hypervisor_compare(
            &kvm,
            &cpu(&format!(
                "<cpu><model>Haswell-v1</model><feature policy='disable' name='{}'/>\
                 <feature policy='require' name='osxsave'/></cpu>",
                def.blockers[0]
            )),
        )
        .unwrap();
    let mut expected: Vec<String> = def.blockers[1..].to_vec();
    expected.push("osxsave".into());
    assert_eq!(r.comparison.missing(), expected);
    assert_eq!(
        r.comparison
            .reasons()
            .iter()
            .map(|r| r.message().to_string())
            .collect::<Vec<_>>(),
        [format!(
            "Host CPU does not provide required features: {}",
            expected.join(", ")
        )]
    );
    // Disabling every blocker is a superset, never identical.
    let all: String = def
        .blockers
        .iter()
        .map(|b| format!("<feature policy='disable' name='{b}'/>"))
        .collect();
    let r = x86
        .hypervisor_compare(
            &kvm,
            &cpu(&format!("<cpu><model>Haswell-v1</model>{all}</cpu>")),
        )
        .unwrap();
    assert_eq!(r.comparison.verdict(), cpucompat_x86::Verdict::Superset);
}

#[test]
fn baseline_is_charged_with_the_hosts_blockers_and_forbids_fallback() {
    let x86 = x86();
    let pool = parse_cpus(
        "<cpu><model>Haswell</model><feature name='invtsc'/></cpu>\
         <cpu><model>Skylake-Client</model><feature name='invtsc'/></cpu>",
    )
    .unwrap();
    let opts = HypervisorBaselineOptions::default();
    let tcg = x86
        .hypervisor_baseline(&host(Accel::Tcg), &pool, &opts)
        .unwrap();
    assert_eq!(tcg.model_name(), Some("Haswell-noTSX"));
    assert_eq!(
        tcg.model.as_ref().unwrap().fallback,
        Some(cpucompat_xml::Fallback::Forbid)
    );
    let kvm = x86
        .hypervisor_baseline(&host(Accel::Kvm), &pool, &opts)
        .unwrap();
    assert_eq!(kvm.model_name(), Some("Conroe"));
    // --migratable: QEMU marked invtsc under KVM only.
    let migratable = HypervisorBaselineOptions {
        migratable: true,
        ..opts
    };
    let has_invtsc = |c: &cpucompat_xml::CpuDef| {
        c.features
            .iter()
            .any(|f| f.name == "invtsc" && f.policy == Some(Policy::Require))
    };
    assert!(has_invtsc(
        &x86.hypervisor_baseline(&host(Accel::Tcg), &pool, &migratable)
            .unwrap()
    ));
    assert!(!has_invtsc(
        &x86.hypervisor_baseline(&host(Accel::Kvm), &pool, &migratable)
            .unwrap()
    ));
    // Features QEMU does not know never come out.
    let one = parse_cpus("<cpu><model>qemu64</model><feature name='osxsave'/></cpu>").unwrap();
    let r = x86
        .hypervisor_baseline(&host(Accel::Tcg), &one, &opts)
        .unwrap();
    assert!(r.features.iter().all(|f| f.name != "osxsave"));
    // Input models must be the map's.
    let e = x86
        .hypervisor_baseline(
            &host(Accel::Tcg),
            &parse_cpus("<cpu><model>max</model></cpu>").unwrap(),
            &opts,
        )
        .unwrap_err();
    assert_eq!(e.libvirt_text(), "internal error: Unknown CPU model max");
}

const TINY: &str = "<qemuCaps>
  <emulator>/usr/bin/qemu-system-x86_64</emulator>
  <arch>x86_64</arch>
  <flag name='tcg'/>
  <machine type='tcg' name='pc-q35-7.2' alias='q35'/>
  <cpu type='tcg' name='qemu64' usable='yes'/>
</qemuCaps>";

#[test]
fn selection_and_missing_data_are_libvirts_errors() {
    let x86 = x86();
    let caps = qemucaps::parse_qemu_caps(TINY).unwrap();
    let e = x86
        .qemu_host(&caps, Accel::Kvm, "x86_64", None)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the accel 'kvm' is not supported by '/usr/bin/qemu-system-x86_64' on this host"
    );
    let e = x86
        .qemu_host(&caps, Accel::Tcg, "x86_64", Some("pc-i440fx-7.2"))
        .unwrap_err();
    assert_eq!(
        e.libvirt_text(),
        "invalid argument: the machine 'pc-i440fx-7.2' is not supported by emulator \
         '/usr/bin/qemu-system-x86_64'"
    );
    // No <hostCPU>: no host-model, so compare is E1, before the CPU is looked at.
    let h = x86
        .qemu_host(&caps, Accel::Tcg, "x86_64", Some("q35"))
        .unwrap();
    let e = x86
        .hypervisor_compare(&h, &cpu("<cpu><model>NoSuchModel</model></cpu>"))
        .unwrap_err();
    assert_eq!(
        e.libvirt_text(),
        "Operation not supported: QEMU '/usr/bin/qemu-system-x86_64' does not support \
         reporting CPU model for virttype 'qemu'"
    );
    // ... while baseline works without a filter.
    let one = parse_cpus("<cpu><model>qemu64</model></cpu>").unwrap();
    let b = x86
        .hypervisor_baseline(&h, &one, &HypervisorBaselineOptions::default())
        .unwrap();
    assert_eq!(b.model_name(), Some("qemu64"));
    // An accelerator without definitions: E3.
    let hvf = x86.qemu_host(&caps, Accel::Hvf, "x86_64", None).unwrap();
    let e = x86
        .hypervisor_baseline(&hvf, &one, &HypervisorBaselineOptions::default())
        .unwrap_err();
    assert_eq!(
        e,
        X86Error::NoHypervisorModels {
            emulator: "/usr/bin/qemu-system-x86_64".into(),
            virttype: "hvf".into()
        }
    );
    // A host of another arch has no host-model for x86 guests.
    let full = qemucaps::parse_qemu_caps(&cache_text()).unwrap();
    let foreign = x86.qemu_host(&full, Accel::Tcg, "aarch64", None).unwrap();
    assert!(foreign.host_model().is_none());
    // An s390x cache is not for this adapter.
    let s390x =
        std::fs::read_to_string(qdriver::specs_dir().join("s390x-qemu-7.2.qemucaps.xml")).unwrap();
    let caps = qemucaps::parse_qemu_caps(&s390x).unwrap();
    assert_eq!(
        x86.qemu_host(&caps, Accel::Tcg, "x86_64", None)
            .unwrap_err()
            .to_string(),
        "the hypervisor description is for s390x guests, not x86"
    );
}
