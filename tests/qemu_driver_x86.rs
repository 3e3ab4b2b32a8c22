//! libvirt 11.3's QEMU driver without libvirt, through the library's public API:
//! `hypervisor-cpu-compare` and `hypervisor-cpu-baseline` computed by
//! [`cpucompat::Hypervisor`] from this machine's committed capabilities cache
//! (`specs/qemu-driver/x86_64-qemu-7.2.qemucaps.xml`, QEMU 7.2 on an AMD EPYC nested KVM
//! guest) and libvirt 11.3's map, against the answers the live `virsh` gave for the same
//! inputs (`specs/qemu-driver/x86_64-{compare,baseline}.jsonl`, recorded by
//! `diff_qemu_driver_x86.rs` with `CPUCOMPAT_RECORD=1`): exit status, stdout and stderr
//! equal. The generators, run on the committed cache, give exactly the recorded inputs.
//!
//! Then what domcapabilities alone can and cannot give (the reference's §9), and the rules
//! one by one with their exact messages. (What only the adapter knows, QEMU's feature
//! filter and machine selection, is checked in `crates/x86/tests/qemu_host_data.rs`.)
mod qdriver;
mod support;

use cpucompat::xml::model::{CpuDef, Fallback, Policy};
use cpucompat::{Accel, BaselineOptions, Engine, Hypervisor, Input, Route, Verdict};
use qdriver::x86::{self, Case};
use qdriver::{Outcome, Tally};

fn cache_text() -> String {
    qdriver::specs_file("x86_64-qemu-7.2.qemucaps.xml")
}

fn domcaps<'e>(engine: &'e Engine, virttype: &str) -> Hypervisor<'e> {
    let name = format!("x86_64-{virttype}.domcaps.xml");
    engine
        .hypervisor(
            Input::from_text(name.clone(), qdriver::specs_file(&name)),
            None,
        )
        .expect("a domcapabilities hypervisor")
}

fn replay(engine: &Engine, file: &str, what: &str) -> Tally {
    let hosts = x86::hosts(engine, &cache_text());
    let mut tally = Tally::default();
    for (case, theirs) in x86::read_jsonl(file) {
        let mine = x86::ours(&x86::host_of(&hosts, &case).hv, &case);
        tally.add(&case.describe(), x86::agree(&theirs, &mine), &theirs, &mine);
    }
    tally.check(what);
    tally
}

#[test]
fn recorded_compare_answers_are_reproduced() {
    let engine = x86::engine_11_3();
    let t = replay(
        &engine,
        "x86_64-compare.jsonl",
        "recorded x86 hypervisor-cpu-compare",
    );
    assert!(t.cases >= 900);
}

#[test]
fn recorded_baseline_answers_are_reproduced() {
    let engine = x86::engine_11_3();
    let t = replay(
        &engine,
        "x86_64-baseline.jsonl",
        "recorded x86 hypervisor-cpu-baseline",
    );
    assert!(t.cases >= 900);
}

/// The generators read the catalog and the hypervisor through the public API; on the
/// committed cache they give exactly the inputs the live test sent when it recorded.
#[test]
fn the_generators_give_the_recorded_inputs() {
    let engine = x86::engine_11_3();
    let hosts = x86::hosts(&engine, &cache_text());
    let strip = |v: Vec<(Case, Outcome)>| v.into_iter().map(|(c, _)| c).collect::<Vec<_>>();
    let compare = x86::all_compare_cases(&engine, &hosts);
    assert_eq!(compare, strip(x86::read_jsonl("x86_64-compare.jsonl")));
    let baseline = x86::all_baseline_cases(&engine, &hosts);
    assert_eq!(baseline, strip(x86::read_jsonl("x86_64-baseline.jsonl")));
    eprintln!(
        "generated: {} compare cases, {} baseline cases",
        compare.len(),
        baseline.len()
    );
    eprintln!("compare: {}", x86::coverage(&hosts, &compare));
    eprintln!("baseline: {}", x86::coverage(&hosts, &baseline));
}

#[test]
fn the_committed_cache_reads_as_libvirt_wrote_it() {
    let engine = x86::engine_11_3();
    for accel in [Accel::Kvm, Accel::Tcg] {
        let h = x86::hypervisor(&engine, &cache_text(), accel);
        assert_eq!(h.accel(), accel);
        assert!(h.limitations().is_empty(), "a cache knows everything");
        let defs = h.definitions();
        assert_eq!(defs.len(), 132, "{accel:?}");
        assert!(defs.iter().any(|(n, _, _)| n == "max"));
    }
    // Without --accel: kvm, since the cache says QEMU can use it.
    let h = engine
        .hypervisor(Input::from_text("cache", cache_text()), None)
        .unwrap();
    assert_eq!(h.accel(), Accel::Kvm);
}

#[test]
fn the_recomputed_host_model_is_the_one_domcapabilities_prints() {
    let engine = x86::engine_11_3();
    for (accel, virttype) in [(Accel::Kvm, "kvm"), (Accel::Tcg, "qemu")] {
        let ours = x86::hypervisor(&engine, &cache_text(), accel)
            .host_model()
            .unwrap();
        let printed = domcaps(&engine, virttype).host_model().unwrap();
        assert_eq!(
            cpucompat::xml::write_cpu(&ours.definition().normalized()),
            cpucompat::xml::write_cpu(&printed.definition().normalized()),
            "{virttype}"
        );
    }
    // This machine: KVM offers EPYC-Milan with most of it disabled, TCG offers EPYC.
    let model = |a| {
        x86::hypervisor(&engine, &cache_text(), a)
            .host_model()
            .and_then(|c| c.model().map(str::to_string))
    };
    assert_eq!(model(Accel::Kvm).as_deref(), Some("EPYC-Milan"));
    assert_eq!(model(Accel::Tcg).as_deref(), Some("EPYC"));
}

/// With domcapabilities only, the answers differ exactly where the reference (§9) says:
/// compare of QEMU-only names (`max`, `base`, `host`: no shortcut), the order of the
/// blockers in the unusable check's message; baselines that keep features QEMU does not
/// know (no filter) or, with `--migratable`, drop `invtsc` by the map's mark.
#[test]
fn domcapabilities_alone_differ_only_where_expected() {
    let engine = x86::engine_11_3();
    let hosts: Vec<x86::Host<'_>> = ["kvm", "qemu"]
        .into_iter()
        .map(|v| {
            let hv = domcaps(&engine, v);
            x86::Host {
                virttype: v.to_string(),
                definitions: hv.definitions(),
                hv,
            }
        })
        .collect();
    for h in &hosts {
        assert_eq!(h.hv.limitations().len(), 4);
        assert!(
            !h.definitions.iter().any(|(n, _, _)| n == "max"),
            "domcapabilities lists no QEMU-only names"
        );
    }
    let (mut compare_equal, mut compare_total, mut verdicts_equal) = (0, 0, 0);
    for (case, theirs) in x86::read_jsonl("x86_64-compare.jsonl") {
        let mine = x86::ours(&x86::host_of(&hosts, &case).hv, &case);
        compare_total += 1;
        if x86::agree(&theirs, &mine) {
            compare_equal += 1;
            verdicts_equal += 1;
            continue;
        }
        let first_model = cpucompat::xml::parse_cpus(&case.input)
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
    for (case, theirs) in x86::read_jsonl("x86_64-baseline.jsonl") {
        let mine = x86::ours(&x86::host_of(&hosts, &case).hv, &case);
        base_total += 1;
        if x86::agree(&theirs, &mine) {
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

fn cpu(text: &str) -> CpuDef {
    cpucompat::xml::parse_cpus(text).unwrap().remove(0)
}

#[test]
fn compare_routes_follow_libvirts_order() {
    let engine = x86::engine_11_3();
    let tcg = x86::hypervisor(&engine, &cache_text(), Accel::Tcg);
    let kvm = x86::hypervisor(&engine, &cache_text(), Accel::Kvm);
    let route = |h: &Hypervisor<'_>, t: &str| {
        h.compare_definition(&cpu(t))
            .map(|r| r.route())
            .map_err(|e| e.to_string())
    };
    // QEMU calls qemu64 usable under TCG: the shortcut ignores strict match and vendor.
    assert_eq!(
        route(
            &tcg,
            "<cpu match='strict'><model>qemu64</model><vendor>Intel</vendor></cpu>"
        ),
        Ok(Route::UsableShortcut)
    );
    // ... but a required feature leaves the shortcut: qemu64 has the compat flag.
    assert_eq!(
        route(
            &tcg,
            "<cpu><model>qemu64</model><feature name='sse2'/></cpu>"
        ),
        Ok(Route::Compat)
    );
    // max is QEMU's, not libvirt's: the shortcut, or "unknown CPU model max".
    assert_eq!(
        route(&kvm, "<cpu><model>max</model></cpu>"),
        Ok(Route::UsableShortcut)
    );
    let e = kvm
        .compare_definition(&cpu("<cpu><model>max</model><feature name='sse2'/></cpu>"))
        .unwrap_err();
    assert_eq!(e.to_string(), "unknown CPU model max");
    assert_eq!(
        e.libvirt_message(),
        Some("invalid argument: unknown CPU model max")
    );
    // -vN models have no compat flag: QEMU's blockers decide, an unknown feature is
    // just missing.
    let r = kvm
        .compare_definition(&cpu(
            "<cpu><model>Haswell-v1</model><feature name='no-such-feature'/></cpu>",
        ))
        .unwrap();
    assert_eq!(r.route(), Route::Unusable);
    assert_eq!(
        r.comparison().missing().last().map(String::as_str),
        Some("no-such-feature")
    );
    let e = kvm
        .compare_definition(&cpu(
            "<cpu><model>Haswell</model><feature name='no-such-feature'/></cpu>",
        ))
        .unwrap_err();
    assert_eq!(
        e.libvirt_message(),
        Some("internal error: Unknown CPU feature no-such-feature")
    );
    // A model QEMU 7.2 lacks takes the compat check whatever its flag.
    assert_eq!(
        route(&tcg, "<cpu><model>GraniteRapids</model></cpu>"),
        Ok(Route::Compat)
    );
    // Through a file: the first CPU counts, an error names the file and the CPU's line.
    let e = kvm
        .compare(Input::from_text(
            "guest.xml",
            "<cpu>\n  <model>max</model>\n  <feature name='sse2'/>\n</cpu>\n",
        ))
        .unwrap_err();
    assert_eq!(e.file(), Some("guest.xml"));
    assert_eq!(e.message(), "unknown CPU model max");
}

#[test]
fn the_unusable_check_lists_blockers_in_qemus_order_then_requires() {
    let engine = x86::engine_11_3();
    let kvm = x86::hypervisor(&engine, &cache_text(), Accel::Kvm);
    let (_, usable, blockers) = kvm
        .definitions()
        .into_iter()
        .find(|(n, _, _)| n == "Haswell-v1")
        .unwrap();
    assert_eq!(usable, Some(false));
    let r = kvm
        .compare_definition(&cpu(&format!(
            "<cpu><model>Haswell-v1</model><feature policy='disable' name='{}'/>\
             <feature policy='require' name='osxsave'/></cpu>",
            blockers[0]
        )))
        .unwrap();
    let mut expected: Vec<String> = blockers[1..].to_vec();
    expected.push("osxsave".into());
    assert_eq!(r.comparison().missing(), expected);
    assert_eq!(
        r.comparison()
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
    let all: String = blockers
        .iter()
        .map(|b| format!("<feature policy='disable' name='{b}'/>"))
        .collect();
    let r = kvm
        .compare_definition(&cpu(&format!("<cpu><model>Haswell-v1</model>{all}</cpu>")))
        .unwrap();
    assert_eq!(r.comparison().verdict(), Verdict::Superset);
}

#[test]
fn baseline_is_charged_with_the_hosts_blockers_and_forbids_fallback() {
    let engine = x86::engine_11_3();
    let tcg = x86::hypervisor(&engine, &cache_text(), Accel::Tcg);
    let kvm = x86::hypervisor(&engine, &cache_text(), Accel::Kvm);
    let pool = "<cpu><model>Haswell</model><feature name='invtsc'/></cpu>\
                <cpu><model>Skylake-Client</model><feature name='invtsc'/></cpu>";
    let base = |h: &Hypervisor<'_>, text: &str, opts: &BaselineOptions| {
        h.baseline([Input::from_text("pool.xml", text)], opts)
            .map(|b| b.definition().clone())
    };
    let opts = BaselineOptions::default();
    let t = base(&tcg, pool, &opts).unwrap();
    assert_eq!(t.model_name(), Some("Haswell-noTSX"));
    assert_eq!(t.model.as_ref().unwrap().fallback, Some(Fallback::Forbid));
    assert_eq!(
        base(&kvm, pool, &opts).unwrap().model_name(),
        Some("Conroe")
    );
    // --migratable: QEMU marked invtsc under KVM only.
    let migratable = BaselineOptions {
        migratable: true,
        ..opts
    };
    let has_invtsc = |c: &CpuDef| {
        c.features
            .iter()
            .any(|f| f.name == "invtsc" && f.policy == Some(Policy::Require))
    };
    assert!(has_invtsc(&base(&tcg, pool, &migratable).unwrap()));
    assert!(!has_invtsc(&base(&kvm, pool, &migratable).unwrap()));
    // Features QEMU does not know never come out.
    let r = base(
        &tcg,
        "<cpu><model>qemu64</model><feature name='osxsave'/></cpu>",
        &opts,
    )
    .unwrap();
    assert!(r.features.iter().all(|f| f.name != "osxsave"));
    // Input models must be the map's.
    let e = base(&tcg, "<cpu>\n<model>max</model></cpu>", &opts).unwrap_err();
    assert_eq!(
        e.libvirt_message(),
        Some("internal error: Unknown CPU model max")
    );
    eprintln!(
        "unknown model in a hypervisor baseline: {e} (file {:?}, line {})",
        e.file(),
        e.line()
    );
    // maxphysaddr: kept when every input has a limit, the smallest.
    let b = tcg
        .baseline(
            [Input::from_text(
                "pool.xml",
                "<cpu><model>Haswell</model><maxphysaddr mode='passthrough' limit='42'/></cpu>\
                 <cpu><model>Broadwell</model><maxphysaddr mode='passthrough' limit='39'/></cpu>",
            )],
            &opts,
        )
        .unwrap();
    assert_eq!(b.maxphysaddr(), Some(39));
    assert!(b
        .to_xml()
        .contains("<maxphysaddr mode='passthrough' limit='39'/>"));
    assert_eq!(b.to_json()["maxphysaddr"]["limit"], 39);
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
    let engine = x86::engine_11_3();
    let tiny = || Input::from_text("tiny.xml", TINY);
    let e = engine.hypervisor(tiny(), Some(Accel::Kvm)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tiny.xml: the accel 'kvm' is not supported by '/usr/bin/qemu-system-x86_64' on this host"
    );
    assert_eq!(
        e.libvirt_message(),
        Some(
            "invalid argument: the accel 'kvm' is not supported by \
             '/usr/bin/qemu-system-x86_64' on this host"
        )
    );
    // Without --accel: tcg, since the cache says QEMU cannot use KVM.
    let h = engine.hypervisor(tiny(), None).unwrap();
    assert_eq!(h.accel(), Accel::Tcg);
    // No <hostCPU>: no host-model, so compare is E1, before the CPU is looked at.
    assert!(h.host_model().is_none());
    let e = h
        .compare_definition(&cpu("<cpu><model>NoSuchModel</model></cpu>"))
        .unwrap_err();
    assert_eq!(
        e.libvirt_message(),
        Some(
            "Operation not supported: QEMU '/usr/bin/qemu-system-x86_64' does not support \
             reporting CPU model for virttype 'qemu'"
        )
    );
    // ... while baseline works without a filter.
    let one = || Input::from_text("one.xml", "<cpu><model>qemu64</model></cpu>");
    let b = h.baseline([one()], &BaselineOptions::default()).unwrap();
    assert_eq!(b.definition().model_name(), Some("qemu64"));
    // An accelerator without definitions: E3.
    let hvf = engine.hypervisor(tiny(), Some(Accel::Hvf)).unwrap();
    let e = hvf
        .baseline([one()], &BaselineOptions::default())
        .unwrap_err();
    assert_eq!(
        e.libvirt_message(),
        Some(
            "Operation not supported: QEMU '/usr/bin/qemu-system-x86_64' does not support \
             any CPU models for virttype 'hvf'"
        )
    );
    // A cache written on a host of another arch has no host-model for x86 guests.
    let foreign = cache_text().replace("<cpudata arch='x86'>", "<cpudata arch='ppc64'>");
    let h = x86::hypervisor(&engine, &foreign, Accel::Tcg);
    assert!(h.host_model().is_none());
    // An s390x cache is not for an x86 engine, nor a domcapabilities document for
    // another virttype than the one asked.
    let s390x = qdriver::specs_file("s390x-qemu-7.2.qemucaps.xml");
    let e = engine
        .hypervisor(Input::from_text("s390x.xml", s390x), Some(Accel::Tcg))
        .unwrap_err();
    assert_eq!(
        e.message(),
        "the hypervisor description is for s390x guests, not x86"
    );
    let e = engine
        .hypervisor(
            Input::from_text("kvm.xml", qdriver::specs_file("x86_64-kvm.domcaps.xml")),
            Some(Accel::Tcg),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "kvm.xml: this domcapabilities document is for virttype 'kvm', not 'qemu'"
    );
    // ppc64 has no such commands in libvirt.
    let ppc = Engine::new(cpucompat::Arch::Ppc64).unwrap();
    let e = ppc.hypervisor(tiny(), None).unwrap_err();
    assert_eq!(
        e.message(),
        "libvirt's QEMU driver has no hypervisor-cpu-compare or -baseline for ppc64"
    );
}
