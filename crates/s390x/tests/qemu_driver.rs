//! libvirt 11.3's QEMU driver on s390x without libvirt or QEMU: `hypervisor-cpu-baseline`
//! and `hypervisor-cpu-compare` computed from the committed capabilities cache
//! (`specs/qemu-driver/s390x-qemu-7.2.qemucaps.xml`, QEMU 7.2 under TCG on an x86_64 host)
//! against the answers the live `virsh` gave (`specs/qemu-driver/s390x-baseline.jsonl`,
//! recorded by `diff_qemu_driver.rs` with `CPUCOMPAT_RECORD=1`), byte for byte; then the
//! rules where cpucompat deliberately reports more than libvirt (opaque QEMU errors, the
//! input that crashes libvirtd) and the compare path of an s390x host.
mod qdriver;

use cpucompat_s390x::hypervisor::{
    hypervisor_baseline, hypervisor_compare, release_for, BaselineOptions, HypervisorError,
    S390Host,
};
use cpucompat_s390x::{Engine, Prop, Release};
use cpucompat_xml::qemucaps::{self, Accel};
use cpucompat_xml::{parse_cpus, write_cpu};

fn cache() -> String {
    std::fs::read_to_string(qdriver::specs_dir().join("s390x-qemu-7.2.qemucaps.xml")).unwrap()
}

#[test]
fn recorded_answers_are_reproduced_byte_for_byte() {
    let host = qdriver::host(&cache());
    assert_eq!(host.release(), Release::Qemu72);
    assert_eq!(host.names().len(), 78);
    let recorded = qdriver::read_jsonl(&qdriver::specs_dir().join("s390x-baseline.jsonl"));
    assert!(recorded.len() >= 390);
    let mut differences = Vec::new();
    for (case, theirs) in &recorded {
        let mine = qdriver::ours(&host, case).expect("no recorded input crashes libvirtd");
        if !qdriver::agree(theirs, &mine) {
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

fn baseline(text: &str, features: bool) -> Result<String, HypervisorError> {
    let host = qdriver::host(&cache());
    let opts = BaselineOptions {
        expand_features: features,
        migratable: false,
    };
    hypervisor_baseline(&host, &parse_cpus(text).unwrap(), &opts).map(|c| write_cpu(&c))
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
        e.to_string(),
        "QEMU refused the baseline with CPU 1 (z13): Property 'z14-s390x-cpu.nosuch-prop' not found"
    );
    assert_eq!(
        e.libvirt_text(),
        "An error occurred, but the cause is unknown"
    );
    // One CPU whose features QEMU refuses crashes libvirtd 11.3; here it is invalid input.
    let e = baseline(
        "<cpu><model>z9BC-base</model><feature name='exrl'/></cpu>",
        false,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid input: QEMU refuses the CPU z9BC-base: Feature 'exrl' is not available for \
         CPU model 'z9BC', it was introduced with later models. (libvirt 11.3's daemon \
         crashes on this input)"
    );
    assert!(matches!(e, HypervisorError::Invalid { .. }));
    let e = baseline(
        "<cpu><model>z13</model></cpu><cpu mode='host-passthrough'/>",
        false,
    )
    .unwrap_err();
    assert_eq!(
        e.libvirt_text(),
        "invalid argument: no CPU model specified at index 1"
    );
    let e = baseline("<cpu><model>z99</model></cpu>", false).unwrap_err();
    assert_eq!(
        e.libvirt_text(),
        "invalid argument: CPU model 'z99' not supported by hypervisor"
    );
}

#[test]
fn compare_on_a_foreign_host_says_what_is_missing() {
    let host = qdriver::host(&cache());
    let e = hypervisor_compare(
        &host,
        &parse_cpus("<cpu><model>z13</model></cpu>").unwrap()[0],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "QEMU '/usr/bin/qemu-system-s390x' does not support reporting CPU model for virttype \
         'qemu': s390x guests are not native to the host (x86_64), so libvirt has no host-model"
    );
    assert_eq!(
        e.libvirt_text(),
        "Operation not supported: QEMU '/usr/bin/qemu-system-s390x' does not support \
         reporting CPU model for virttype 'qemu'"
    );
}

const S390_HOST: &str = "<qemuCaps>
  <emulator>/usr/bin/qemu-system-s390x</emulator>
  <flag name='kvm'/>
  <flag name='query-cpu-model-expansion'/>
  <flag name='query-cpu-model-baseline'/>
  <flag name='query-cpu-model-comparison'/>
  <version>7002000</version>
  <arch>s390x</arch>
  <hostCPU type='kvm' model='z14-base' migratability='no'>
    <property name='vx' type='boolean' value='true'/>
    <property name='msa5' type='boolean' value='true'/>
    <property name='te' type='boolean' value='false'/>
  </hostCPU>
  <cpu type='kvm' name='z13' usable='yes'/>
  <cpu type='kvm' name='z14' usable='yes'/>
  <cpu type='kvm' name='host' usable='yes'/>
</qemuCaps>";

#[test]
fn compare_on_an_s390x_host_is_qemus_comparison_with_the_host_model() {
    let caps = qemucaps::parse_qemu_caps(S390_HOST).unwrap();
    assert_eq!(release_for(&caps), Ok(Release::Qemu72));
    let host = S390Host::new(&caps, Accel::Kvm, "s390x", None).unwrap();
    let engine = Engine::tcg(Release::Qemu72);
    let props = |v: &[(&str, bool)]| -> Vec<Prop> {
        v.iter()
            .map(|(n, b)| Prop {
                name: n.to_string(),
                value: (*b).into(),
            })
            .collect()
    };
    let host_model = engine
        .build(
            "z14-base",
            &props(&[("vx", true), ("msa5", true), ("te", false)]),
        )
        .unwrap();
    for (text, name, p) in [
        ("<cpu><model>z13</model></cpu>", "z13", vec![]),
        (
            "<cpu><model>z14</model><feature policy='disable' name='te'/></cpu>",
            "z14",
            vec![("te", false)],
        ),
        ("<cpu mode='host-passthrough'/>", "host", vec![]),
    ] {
        let cpu = &parse_cpus(text).unwrap()[0];
        let ours = hypervisor_compare(&host, cpu).unwrap();
        let kvm = Engine::tcg(Release::Qemu72).with_host(host_model);
        let b = kvm.build(name, &props(&p)).unwrap();
        let expected = cpucompat_s390x::libvirt::verdict(kvm.compare(&host_model, &b).result);
        assert_eq!(ours, expected, "{text}");
    }
    let e =
        hypervisor_compare(&host, &parse_cpus("<cpu mode='host-model'/>").unwrap()[0]).unwrap_err();
    assert_eq!(
        e.libvirt_text(),
        "invalid argument: cpu parameter is missing a model name"
    );
    // Without the comparison flag: E2.
    let no_flag = S390_HOST.replace("<flag name='query-cpu-model-comparison'/>", "");
    let caps = qemucaps::parse_qemu_caps(&no_flag).unwrap();
    let host = S390Host::new(&caps, Accel::Kvm, "s390x", None).unwrap();
    let e = hypervisor_compare(
        &host,
        &parse_cpus("<cpu><model>z13</model></cpu>").unwrap()[0],
    )
    .unwrap_err();
    assert_eq!(
        e.libvirt_text(),
        "Operation not supported: comparing with the hypervisor CPU is not supported for arch s390x"
    );
    // An unknown QEMU version has no table.
    let newer = S390_HOST.replace("7002000", "8001000");
    let caps = qemucaps::parse_qemu_caps(&newer).unwrap();
    assert_eq!(
        S390Host::new(&caps, Accel::Kvm, "s390x", None)
            .unwrap_err()
            .to_string(),
        "no s390x model table for QEMU 8.1.0: cpucompat has 7.2 and the newest (10.x)"
    );
}
