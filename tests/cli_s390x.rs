//! The s390x commands, run as the real binary on the files of `specs/cases/s390x/data`:
//! exit codes (0 ok / runs, 1 does not run, 2 error), the libvirt-style answers, error
//! lines naming file, line and column with nothing on stdout, and the QMP session.
mod support;

use std::path::{Path, PathBuf};
use support::Run;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases/s390x/data")
}

/// Runs `cpucompat ARGS` in the data directory, with `stdin` as its input.
fn cpucompat(args: &[&str], stdin: Option<&str>) -> Run {
    support::cpucompat(Some(&data()), args, stdin)
}

#[test]
fn compare_is_what_hypervisor_cpu_compare_decides() {
    let r = cpucompat(
        &[
            "--arch",
            "s390x",
            "compare",
            "host-z14.xml",
            "guest-z13.xml",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Host CPU host-z14.xml is a superset of CPU described in guest-z13.xml\n  \
         host features the guest does not use (6): msa5, opc, eec, ... 3 more (--verbose)\n"
    );
    // The other way round QEMU says subset, which libvirt reports as incompatible.
    let r = cpucompat(
        &[
            "--arch",
            "s390x",
            "compare",
            "guest-z13.xml",
            "host-z14.xml",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["result"], "incompatible");
    assert_eq!(v["reasons"][0]["rule"], "qemu-generation");
    assert_eq!(
        v["reasons"][0]["message"],
        "guest CPU z14 (generation 14 GA1) is newer than host CPU z13 (generation 13 GA1)"
    );
    assert_eq!(v["reasons"][1]["rule"], "qemu-features");
    assert_eq!(
        v["missing"],
        serde_json::json!(["msa5", "opc", "eec", "minste2", "sema", "tsi"])
    );
}

#[test]
fn host_passthrough_guest_is_the_host_model() {
    let r = cpucompat(
        &[
            "--arch",
            "s390x",
            "compare",
            "host-gen15a.json",
            "host-passthrough.xml",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "CPU described in host-passthrough.xml is identical to host CPU host-gen15a.json\n"
    );
}

#[test]
fn baseline_keeps_disabled_features() {
    // QEMU 7.2's transcript: baseline(gen15a, z14 with vx off) = z14-base, csske off,
    // vx gone, vxeh kept.
    let r = cpucompat(&["--arch", "s390x", "baseline", "pool.xml"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with(
        "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>z14-base</model>\n"
    ));
    assert!(r
        .stdout
        .contains("<feature policy='disable' name='csske'/>"));
    assert!(r.stdout.contains("<feature policy='require' name='vxeh'/>"));
    assert!(!r.stdout.contains("name='vx'"));
}

#[test]
fn baseline_without_base_features_fails_cleanly() {
    let r = cpucompat(
        &["--arch", "s390x", "baseline", "pool.xml", "old.xml"],
        None,
    );
    support::assert_error(
        &r,
        "old.xml:1:1: No compatible CPU model could be created as important base features are disabled",
    );
}

#[test]
fn unknown_feature_names_file_line_and_column() {
    let r = cpucompat(
        &[
            "--arch",
            "s390x",
            "compare",
            "host-z14.xml",
            "bad-feature.xml",
        ],
        None,
    );
    support::assert_error(
        &r,
        "bad-feature.xml:3:3: Property 'z13-base-s390x-cpu.nosuch' not found",
    );
}

#[test]
fn bad_options_are_usage_errors() {
    let r = cpucompat(
        &["--arch", "s390x", "--qemu-version", "6.0", "expand", "z13"],
        None,
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "cpucompat: error: unknown QEMU version '6.0': expected 7.2 or newest (10.2)\n"
    );
    let r = cpucompat(&["--arch", "s390x", "expand", "z99"], None);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "cpucompat: error: The CPU definition 'z99' is unknown.\n"
    );
}

#[test]
fn models_lists_blockers_against_a_host_model() {
    let r = cpucompat(&["--arch", "s390x", "models", "host-gen15a.json"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let z13 = r.stdout.lines().find(|l| l.starts_with("z13 ")).unwrap();
    assert!(z13.contains(" no "), "{z13}");
    let base = r
        .stdout
        .lines()
        .find(|l| l.starts_with("gen15a-base "))
        .unwrap();
    assert_eq!(base.trim_end(), "gen15a-base   -       yes");
    let gen16 = r
        .stdout
        .lines()
        .find(|l| l.starts_with("gen16a-base "))
        .unwrap();
    assert!(gen16.ends_with(" type"), "{gen16}");
}

#[test]
fn expand_reports_ibc_and_features() {
    let r = cpucompat(
        &["--arch", "s390x", "--qemu-version", "7.2", "expand", "z13"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        "z13 (IBM z13 GA1): type 0x2964, generation 13, GA 1, IBC 0x31, 201 features"
    );
    assert_eq!(r.stdout.lines().count(), 202);
}

#[test]
fn qmp_session_survives_a_malformed_line() {
    let input = "{\"execute\":\"query-cpu-definitions\"}\n\
                 {\"execute\":\"qmp_capabilities\"}\n\
                 {\"execute\": }\n\
                 {\"execute\":\"query-cpu-model-comparison\",\"arguments\":{\"modela\":{\"name\":\"z13\"},\"modelb\":{\"name\":\"z13s\"}},\"id\":3}\n\
                 {\"execute\":\"quit\"}\n\
                 {\"execute\":\"query-version\"}\n";
    let r = cpucompat(&["qmp", "--qemu-version", "7.2"], Some(input));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().map(|l| l.trim_end_matches('\r')).collect();
    assert_eq!(lines.len(), 6, "{}", r.stdout);
    assert!(lines[0].starts_with("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22"));
    assert_eq!(
        lines[1],
        r#"{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}"#
    );
    assert_eq!(lines[2], r#"{"return": {}}"#);
    assert_eq!(
        lines[3],
        r#"{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}"#
    );
    assert_eq!(
        lines[4],
        r#"{"return": {"result": "subset", "responsible-properties": ["type"]}, "id": 3}"#
    );
    assert_eq!(lines[5], r#"{"return": {}}"#);
}

#[test]
fn qmp_with_a_host_model_answers_as_kvm() {
    let input = "{\"execute\":\"qmp_capabilities\"}\n\
                 {\"execute\":\"query-cpu-model-expansion\",\"arguments\":{\"type\":\"static\",\"model\":{\"name\":\"host\"}}}\n";
    let r = cpucompat(&["qmp", "--host-model", "host-gen15a.json"], Some(input));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let last = r.stdout.lines().last().unwrap().trim_end();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(v["return"]["model"]["name"], "gen15a-base");
    assert_eq!(v["return"]["model"]["props"]["vxeh2"], true);
    assert_eq!(v["return"]["model"]["props"]["aen"], true);
    let r = cpucompat(&["qmp", "--host-model", "pool.xml"], Some(""));
    support::assert_error(&r, "pool.xml:1:1: expected value");
}

#[test]
fn domcapabilities_host_model_is_a_host() {
    // The guest's z13 base set has csske, which generation 15 dropped.
    let r = cpucompat(
        &[
            "--arch",
            "s390x",
            "compare",
            "domcaps-host-model.xml",
            "guest-z13.xml",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "CPU described in guest-z13.xml is incompatible with host CPU domcaps-host-model.xml\n  \
         qemu-features: host CPU does not provide features the guest enables: csske\n"
    );
}
