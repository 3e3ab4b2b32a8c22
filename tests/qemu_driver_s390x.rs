//! libvirt 11.3's QEMU driver on s390x without libvirt or QEMU, through the library's
//! public API: `hypervisor-cpu-baseline` and `hypervisor-cpu-compare` computed by
//! [`cpucompat::Hypervisor`] from the committed capabilities cache
//! (`specs/qemu-driver/s390x-qemu-7.2.qemucaps.xml`, QEMU 7.2 under TCG on an x86_64 host)
//! against the answers the live `virsh` gave (`specs/qemu-driver/s390x-baseline.jsonl`,
//! recorded by `diff_qemu_driver_s390x.rs` with `CPUCOMPAT_RECORD=1`), byte for byte; the
//! generator, run on the committed cache, gives exactly the recorded inputs. Then the rules
//! where cpucompat deliberately reports more than libvirt (opaque QEMU errors, the input
//! that crashes libvirtd) and the compare path of an s390x host.
mod qdriver;
mod support;

use cpucompat::{Accel, BaselineOptions, Engine, ErrorKind, Hypervisor, Input};
use qdriver::s390x;
use serde_json::Value;

fn cache() -> String {
    qdriver::specs_file("s390x-qemu-7.2.qemucaps.xml")
}

#[test]
fn recorded_answers_are_reproduced_byte_for_byte() {
    let engine = s390x::engine_7_2();
    let host = s390x::host(&engine, &cache());
    assert_eq!(host.definitions().len(), 78);
    assert_eq!(host.accel(), Accel::Tcg);
    let recorded = s390x::read_jsonl("s390x-baseline.jsonl");
    assert!(recorded.len() >= 390);
    let mut differences = Vec::new();
    for (case, theirs) in &recorded {
        let mine = s390x::ours(&host, case).expect("no recorded input crashes libvirtd");
        if !s390x::agree(theirs, &mine) {
            differences.push(format!("{case:?}\nvirsh: {theirs:?}\nours:  {mine:?}"));
        }
    }
    eprintln!(
        "recorded s390x hypervisor commands: {} cases, {} equal",
        recorded.len(),
        recorded.len() - differences.len()
    );
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
}

/// The generator reads QEMU's names through the public API (and the groups from the
/// committed catalog data); on the committed cache it gives exactly the inputs the live
/// test sent, less the ones predicted to crash libvirtd.
#[test]
fn the_generator_gives_the_recorded_inputs() {
    let engine = s390x::engine_7_2();
    let host = s390x::host(&engine, &cache());
    let mut sent = Vec::new();
    let mut crashes = 0;
    for c in s390x::all_cases(&engine, &host) {
        match s390x::ours(&host, &c) {
            Ok(_) => sent.push(c),
            Err(_) => crashes += 1,
        }
    }
    let recorded: Vec<s390x::Case> = s390x::read_jsonl("s390x-baseline.jsonl")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    eprintln!(
        "generated: {} cases sent, {crashes} predicted crashes",
        sent.len()
    );
    assert_eq!(sent, recorded);
}

fn baseline(text: &str, features: bool) -> Result<String, cpucompat::Error> {
    let engine = s390x::engine_7_2();
    let host = s390x::host(&engine, &cache());
    let opts = BaselineOptions {
        expand_features: features,
        migratable: false,
    };
    host.baseline([Input::from_text("cpu.xml", text)], &opts)
        .map(|b| b.to_xml())
}

#[test]
fn the_answer_is_a_host_type_cpu_of_true_properties_in_qemus_order() {
    let out = baseline(
        "<cpu><model>z13</model></cpu><cpu><model>z14</model></cpu>",
        false,
    )
    .unwrap();
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("  <feature name='"))
        .map(|l| l.trim_end_matches("'/>"))
        .collect();
    assert!(out.starts_with("<cpu>\n  <model>z13-base</model>\n"));
    // QEMU's hash order: msa5 ... msa1 share a bucket and come out reversed.
    assert_eq!(
        names,
        [
            "aen",
            "aefsi",
            "msa5",
            "msa4",
            "msa3",
            "msa2",
            "msa1",
            "sthyi",
            "edat",
            "ri",
            "edat2",
            "vx",
            "ipter",
            "esop",
            "cte",
            "bpb",
            "ppa15",
            "zpci",
            "sea_esop2",
            "te",
            "cmm"
        ]
    );
    // A disabled base feature is invisible for one CPU, but steers a baseline of two.
    let one = baseline(
        "<cpu><model>z13</model><feature policy='disable' name='dfppc'/></cpu>",
        false,
    )
    .unwrap();
    assert!(one.contains("<model>z13-base</model>") && !one.contains("dfppc"));
    let two = baseline(
        "<cpu><model>z13</model><feature policy='disable' name='dfppc'/></cpu><cpu><model>z13</model></cpu>",
        false,
    )
    .unwrap();
    assert!(two.contains("<model>zBC12-base</model>"));
    // --features: every enabled feature, sorted by name.
    let full = baseline(
        "<cpu><model>z13</model></cpu><cpu><model>z14</model></cpu>",
        true,
    )
    .unwrap();
    let listed: Vec<&str> = full
        .lines()
        .filter_map(|l| l.strip_prefix("  <feature name='"))
        .collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(listed, sorted);
}

#[test]
fn qemu_errors_are_named_where_libvirt_loses_them() {
    let e = baseline(
        "<cpu><model>z14</model><feature name='nosuch-prop'/></cpu><cpu><model>z13</model></cpu>",
        false,
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "QEMU refused the baseline with CPU 1 (z13): Property 'z14-s390x-cpu.nosuch-prop' not found"
    );
    assert_eq!(
        e.libvirt_message(),
        Some("An error occurred, but the cause is unknown")
    );
    // One CPU whose features QEMU refuses crashes libvirtd 11.3; here it is invalid input.
    let e = baseline(
        "<cpu><model>z9BC-base</model><feature name='exrl'/></cpu>",
        false,
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "invalid input: QEMU refuses the CPU z9BC-base: Feature 'exrl' is not available for \
         CPU model 'z9BC', it was introduced with later models. (libvirt 11.3's daemon \
         crashes on this input)"
    );
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e
        .libvirt_message()
        .is_some_and(|m| m.starts_with(s390x::CRASH)));
    // A CPU without a model: libvirt's index, and the file and line of that CPU here.
    let e = baseline(
        "<cpu><model>z13</model></cpu>\n<cpu mode='host-passthrough'/>",
        false,
    )
    .unwrap_err();
    assert_eq!(
        e.libvirt_message(),
        Some("invalid argument: no CPU model specified at index 1")
    );
    assert_eq!((e.file(), e.line()), (Some("cpu.xml"), 2));
    let e = baseline("<cpu><model>z99</model></cpu>", false).unwrap_err();
    assert_eq!(
        e.libvirt_message(),
        Some("invalid argument: CPU model 'z99' not supported by hypervisor")
    );
}

#[test]
fn compare_on_a_foreign_host_says_what_is_missing() {
    let engine = s390x::engine_7_2();
    let host = s390x::host(&engine, &cache());
    let e = host
        .compare(Input::from_text("cpu.xml", "<cpu><model>z13</model></cpu>"))
        .unwrap_err();
    assert_eq!(
        e.message(),
        "QEMU '/usr/bin/qemu-system-s390x' does not support reporting CPU model for virttype \
         'qemu': s390x guests are not native to the host (x86_64), so libvirt has no host-model"
    );
    assert_eq!(
        e.libvirt_message(),
        Some(
            "Operation not supported: QEMU '/usr/bin/qemu-system-s390x' does not support \
             reporting CPU model for virttype 'qemu'"
        )
    );
    assert!(host.host_model().is_none());
}

/// A cache written on an s390x host (its `<cpudata arch='s390x'/>`), QEMU 7.2 under KVM.
const S390_HOST: &str = "<qemuCaps>
  <emulator>/usr/bin/qemu-system-s390x</emulator>
  <flag name='kvm'/>
  <flag name='query-cpu-model-expansion'/>
  <flag name='query-cpu-model-baseline'/>
  <flag name='query-cpu-model-comparison'/>
  <version>7002000</version>
  <arch>s390x</arch>
  <cpudata arch='s390x'/>
  <hostCPU type='kvm' model='z14-base' migratability='no'>
    <property name='vx' type='boolean' value='true'/>
    <property name='msa5' type='boolean' value='true'/>
    <property name='te' type='boolean' value='false'/>
  </hostCPU>
  <cpu type='kvm' name='z13' usable='yes'/>
  <cpu type='kvm' name='z14' usable='yes'/>
  <cpu type='kvm' name='host' usable='yes'/>
</qemuCaps>";

const HOST_MODEL: &str =
    r#"{"name": "z14-base", "props": {"vx": true, "msa5": true, "te": false}}"#;

/// QEMU's `query-cpu-model-comparison` of the host model (A) with `b`, under KVM with that
/// host model, through the library's QMP monitor.
fn qemu_comparison(b: Value) -> String {
    let tcg = s390x::engine_7_2();
    let kvm = tcg
        .s390x()
        .unwrap()
        .with_host_model(Input::from_text("host.json", HOST_MODEL))
        .unwrap();
    let request = serde_json::json!({
        "execute": "query-cpu-model-comparison",
        "arguments": {"modela": serde_json::from_str::<Value>(HOST_MODEL).unwrap(), "modelb": b},
    });
    let input = format!("{{\"execute\":\"qmp_capabilities\"}}\n{request}\n");
    let mut out = Vec::new();
    kvm.s390x()
        .unwrap()
        .serve_qmp(input.as_bytes(), &mut out)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    let reply: Value = serde_json::from_str(text.lines().nth(2).unwrap()).unwrap();
    reply["return"]["result"].as_str().unwrap().to_string()
}

#[test]
fn compare_on_an_s390x_host_is_qemus_comparison_with_the_host_model() {
    let engine = s390x::engine_7_2();
    let caps = || Input::from_text("s390x-host.xml", S390_HOST);
    let host: Hypervisor<'_> = engine.hypervisor(caps(), None).unwrap();
    assert_eq!(host.accel(), Accel::Kvm);
    for (text, b) in [
        (
            "<cpu><model>z13</model></cpu>",
            serde_json::json!({"name": "z13"}),
        ),
        (
            "<cpu><model>z14</model><feature policy='disable' name='te'/></cpu>",
            serde_json::json!({"name": "z14", "props": {"te": false}}),
        ),
        (
            "<cpu mode='host-passthrough'/>",
            serde_json::json!({"name": "host"}),
        ),
    ] {
        let ours = host
            .compare(Input::from_text("cpu.xml", text))
            .unwrap()
            .comparison()
            .verdict();
        // libvirt: identical, superset, else (subset, incompatible) incompatible.
        let expected = match qemu_comparison(b).as_str() {
            "identical" => cpucompat::Verdict::Identical,
            "superset" => cpucompat::Verdict::Superset,
            _ => cpucompat::Verdict::Incompatible,
        };
        assert_eq!(ours, expected, "{text}");
    }
    let e = host
        .compare(Input::from_text("cpu.xml", "<cpu mode='host-model'/>"))
        .unwrap_err();
    assert_eq!(
        e.libvirt_message(),
        Some("invalid argument: cpu parameter is missing a model name")
    );
    // Without the comparison flag: E2.
    let no_flag = S390_HOST.replace("<flag name='query-cpu-model-comparison'/>", "");
    let host = engine
        .hypervisor(Input::from_text("no-flag.xml", no_flag), None)
        .unwrap();
    let e = host
        .compare(Input::from_text("cpu.xml", "<cpu><model>z13</model></cpu>"))
        .unwrap_err();
    assert_eq!(
        e.libvirt_message(),
        Some(
            "Operation not supported: comparing with the hypervisor CPU is not supported for \
             arch s390x"
        )
    );
    // An unknown QEMU version has no table.
    let newer = S390_HOST.replace("7002000", "8001000");
    let e: Engine = s390x::engine_7_2();
    let err = e
        .hypervisor(Input::from_text("newer.xml", newer), None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "newer.xml: no s390x model table for QEMU 8.1.0: cpucompat has 7.2 and the newest (10.x)"
    );
    // domcapabilities lacks what an s390x answer needs.
    let err = e
        .hypervisor(
            Input::from_text("domcaps.xml", qdriver::specs_file("s390x-qemu.domcaps.xml")),
            None,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}
