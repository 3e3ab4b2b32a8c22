//! The `cpucompat` binary on POWER inputs: outputs, exit statuses (0 identical, 1
//! incompatible, 2 error) and one-line errors naming file, line and column, with nothing
//! on stdout when a command fails.
mod support;

use std::path::PathBuf;
use support::{assert_error, Run};

fn data(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("specs/cases/ppc64")
        .join(rel)
        .display()
        .to_string()
}

fn run_with(args: &[&str], stdin: &str) -> Run {
    support::cpucompat(None, args, Some(stdin))
}

fn run(args: &[&str]) -> Run {
    run_with(args, "")
}

#[test]
fn compare_identical_exits_0() {
    let (h, g) = (
        data("data/ppc64-host.xml"),
        data("data/ppc64-guest-compat-valid.xml"),
    );
    let r = run(&["compare", &h, &g]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!("CPU described in {g} is identical to host CPU {h}\n")
    );
}

#[test]
fn compare_incompatible_exits_1_with_reasons() {
    let (h, g) = (
        data("hosts/host-POWER9.xml"),
        data("hosts/guest-compat-power7-smt8.xml"),
    );
    let r = run(&["compare", &h, &g]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "CPU described in {g} is incompatible with host CPU {h}\n  qemu-threads: guest has 8 threads per core but compatibility mode power7 allows at most 4\n"
        )
    );
}

#[test]
fn compare_json_has_the_x86_shape() {
    let h = data("hosts/cpudata-power9-dd2.2.xml");
    let g = data("hosts/cpudata-power9-dd2.0.xml");
    let r = run(&["compare", "--format", "json", &h, &g]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["result"], "incompatible");
    assert_eq!(v["missing"], serde_json::json!([]));
    assert_eq!(v["forbidden"], serde_json::json!([]));
    assert_eq!(v["extra"], serde_json::json!([]));
    assert_eq!(v["reasons"][0]["rule"], "qemu-raw-pvr");
    // QEMU 7.2 compares the major DD only: the same move is fine there.
    let r = run(&[
        "compare",
        "--qemu-version",
        "7.2",
        "--format",
        "json",
        &h,
        &g,
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn unknown_names_are_errors_at_their_position() {
    let h = data("data/ppc64-host.xml");
    let g = data("data/ppc64-guest-legacy-bad.xml");
    assert_error(
        &run(&["compare", &h, &g]),
        &format!("{g}:2:3: unknown CPU model POWER8E_v1.0"),
    );
    let g = data("data/ppc64-guest-compat-bad.xml");
    assert_error(
        &run(&["compare", &h, &g]),
        &format!("{g}:2:3: unknown compatibility mode power7+"),
    );
}

#[test]
fn compare_cannot_print_xml() {
    let h = data("data/ppc64-host.xml");
    assert_error(
        &run(&["compare", "--format", "xml", &h, &h]),
        "compare prints text or json, not xml",
    );
}

#[test]
fn decode_pvr_in_three_formats() {
    let r = run(&["decode", "--pvr", "0x004e1202"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<cpu>\n  <arch>ppc64</arch>\n  <model>POWER9</model>\n  <vendor>IBM</vendor>\n</cpu>\n"
    );
    let r = run(&["decode", "--pvr", "0x004e1202", "--as", "guest"]);
    assert_eq!(
        r.stdout,
        "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>POWER9</model>\n  <vendor>IBM</vendor>\n</cpu>\n"
    );
    let r = run(&[
        "decode",
        "--pvr",
        "004e1203",
        "--format",
        "text",
        "--qemu-version",
        "7.2",
    ]);
    assert_eq!(
        r.stdout,
        "pvr:           0x004e1203\nmodel:         POWER9\nvendor:        IBM\n\
         qemu class:    power9_v2.0\nfamily:        POWER9\ndd level:      2.3\n\
         compat modes:  power6 power7 power7+ power8 power9\n"
    );
    let r = run(&["decode", "--pvr", "0x00821200", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["model"]["name"], "POWER11");
    assert_eq!(v["arch"], "ppc64");
}

#[test]
fn decode_errors() {
    assert_error(
        &run(&["decode", "--pvr", "POWER9"]),
        "invalid PVR 'POWER9': expected up to 8 hex digits such as 0x004e1202",
    );
    assert_error(
        &run(&["decode", "--pvr", "0x12345678"]),
        "no CPU model matches PVR 0x12345678",
    );
    assert_error(
        &run(&["decode", "--arch", "ppc64", "-"]),
        "<stdin>:1:1: empty input: expected CPU XML, a <cpudata> dump, `cpuid -r` text, a POWER /proc/cpuinfo or QEMU's JSON host model",
    );
}

#[test]
fn decode_reads_dumps_and_cpuinfo() {
    let r = run(&["decode", &data("hosts/cpudata-power10.xml")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("<model>POWER10</model>"), "{}", r.stdout);
    let cpuinfo = "processor\t: 0\ncpu\t\t: POWER8E (raw), altivec supported\n\
                   clock\t\t: 3690.000000MHz\nrevision\t: 2.1 (pvr 004b 0201)\n";
    let r = run_with(
        &["decode", "--arch", "ppc64", "--format", "text", "-"],
        cpuinfo,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("qemu class:    power8e_v2.1\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn libvirt_baseline_and_its_failures() {
    let r = run(&["baseline", &data("data/ppc64-baseline-same-model.xml")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>POWER8</model>\n</cpu>\n"
    );
    assert_error(
        &run(&[
            "baseline",
            &data("data/ppc64-baseline-incompatible-models.xml"),
        ]),
        &format!(
            "{}:10:3: CPUs are incompatible: model POWER8 differs from POWER7",
            data("data/ppc64-baseline-incompatible-models.xml")
        ),
    );
    assert_error(
        &run(&[
            "baseline",
            "--features",
            &data("data/ppc64-baseline-same-model.xml"),
        ]),
        "POWER models have no features: --features and --migratable do not apply",
    );
    assert_error(
        &run(&[
            "baseline",
            "--hypervisor-models",
            "x.json",
            &data("data/ppc64-baseline-same-model.xml"),
        ]),
        "--hypervisor-models is an x86 option",
    );
}

#[test]
fn compat_baseline_of_a_mixed_pool() {
    let hosts = [
        data("hosts/host-POWER8.xml"),
        data("hosts/cpudata-power9-dd2.2.xml"),
        data("hosts/host-POWER10.xml"),
        data("hosts/cpudata-power11.xml"),
    ];
    let mut args = vec!["baseline", "--compat"];
    args.extend(hosts.iter().map(String::as_str));
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<cpu mode='host-model'>\n  <model fallback='allow'>power8</model>\n</cpu>\n"
    );
    args.insert(1, "--format");
    args.insert(2, "text");
    let r = run(&args);
    assert_eq!(
        r.stdout,
        "power8 (ISA 2.07, logical PVR 0x0f000004, at most 8 threads per core)\n"
    );
    let r = run(&[
        "baseline",
        "--compat",
        "--qemu-version",
        "7.2",
        &hosts[0],
        &hosts[3],
    ]);
    assert_error(
        &r,
        &format!(
            "{}: host CPU POWER11 has no QEMU family, so its compat modes are unknown",
            data("hosts/cpudata-power11.xml")
        ),
    );
}

#[test]
fn qmp_session_7_2_and_newest() {
    let input = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-cpu-model-expansion\"}\n";
    let r = run_with(&["qmp", "--arch", "ppc64", "--qemu-version", "7.2"], input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"cpucompat\"}, \"capabilities\": [\"oob\"]}}\r\n\
         {\"return\": {}}\r\n\
         {\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command query-cpu-model-expansion has not been found\"}}\r\n"
    );
    let r = run_with(&["qmp", "--arch", "ppc64"], input);
    assert!(r.stdout.ends_with(
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"CPU model expansion is not supported on this target\"}}\r\n"
    ));
}

#[test]
fn qmp_bad_input_and_version() {
    // As QEMU: a malformed line gets a GenericError reply and the session goes on.
    let r = run_with(
        &["qmp", "--arch", "ppc64", "--qemu-version", "7.2"],
        "{\"execute\":\"qmp_capabilities\"}\n  nonsense\n{'execute': 'query-version', 'id': 1}\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let lines: Vec<&str> = r.stdout.split_terminator("\r\n").collect();
    assert_eq!(
        lines[1..],
        [
            "{\"return\": {}}",
            "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, invalid keyword 'nonsense'\"}}",
            "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"cpucompat\"}, \"id\": 1}",
        ]
    );
    let r = run_with(&["qmp", "--arch", "ppc64", "--qemu-version", "6.0"], "");
    assert_error(
        &r,
        "unknown QEMU version '6.0': expected 7.2 or newest (10.2)",
    );
}

#[test]
fn bad_xml_is_an_error_with_position() {
    let dir = std::env::temp_dir().join(format!("cpucompat-ppc64-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("broken.xml");
    std::fs::write(
        &f,
        "<cpu>\n  <arch>ppc64</arch>\n  <model>POWER9</mode>\n</cpu>\n",
    )
    .unwrap();
    let name = f.display().to_string();
    let r = run(&["compare", "--arch", "ppc64", &name, &name]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .starts_with(&format!("cpucompat: error: {name}:3:")),
        "{}",
        r.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}
