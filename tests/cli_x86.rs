//! The x86 commands, run as the real binary on the libvirt test files committed under
//! `specs/cases/x86/data`: exit codes (0 ok / compatible, 1 incompatible, 2 error), the
//! JSON shapes, error lines naming file, line and column, the host report, and the
//! agreement of `cpuid -r | cpucompat decode - --as host` with the live probe.
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::Run;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases/x86/data")
}

/// Runs `cpucompat ARGS` in the data directory, with `stdin` as its input.
fn cpucompat(args: &[&str], stdin: Option<&str>) -> Run {
    support::cpucompat(Some(&data()), args, stdin)
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn compare_identical_exits_0_and_says_identical() {
    let r = cpucompat(&["compare", "x86_64-host.xml", "x86_64-host.xml"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "CPU described in x86_64-host.xml is identical to host CPU x86_64-host.xml\n"
    );
}

#[test]
fn compare_superset_exits_0() {
    let r = cpucompat(
        &["compare", "x86_64-host.xml", "x86_64-host-worse.xml"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(
            "Host CPU x86_64-host.xml is a superset of CPU described in x86_64-host-worse.xml\n"
        ),
        "{}",
        r.stdout
    );
    // host-worse is plain Penryn: the host's 14 extra features are counted, the first
    // few named; --verbose names all of them, wrapped within 100 columns.
    let second = r.stdout.lines().nth(1).unwrap();
    assert_eq!(
        second,
        "  host features the guest does not use (14): monitor, ds_cpl, vmx, ... 11 more (--verbose)"
    );
    let v = cpucompat(
        &[
            "compare",
            "--verbose",
            "x86_64-host.xml",
            "x86_64-host-worse.xml",
        ],
        None,
    );
    assert_eq!(
        v.stdout.lines().skip(1).collect::<Vec<_>>(),
        [
            "  host features the guest does not use (14): monitor, ds_cpl, vmx, est, tm2, xtpr, dca, vme, ds,",
            "    acpi, ss, ht, tm, pbe",
        ]
    );
}

#[test]
fn compare_incompatible_exits_1_and_names_every_reason() {
    let r = cpucompat(
        &["compare", "x86_64-host.xml", "x86_64-host-better.xml"],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut lines = r.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(
            "CPU described in x86_64-host-better.xml is incompatible with host CPU x86_64-host.xml"
        )
    );
    let reasons: Vec<&str> = lines.collect();
    assert!(!reasons.is_empty());
    assert!(reasons.iter().all(|l| l.starts_with("  ")), "{reasons:?}");
    // Nehalem needs popcnt and sse4.2, which this Penryn host lacks.
    assert!(
        reasons
            .iter()
            .any(|l| l.contains("popcnt") && l.contains("sse4.2")),
        "{reasons:?}"
    );
}

#[test]
fn compare_json_has_exactly_the_documented_shape() {
    let r = cpucompat(
        &[
            "compare",
            "--format",
            "json",
            "x86_64-host.xml",
            "x86_64-host-better.xml",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(
        keys(&v),
        ["result", "reasons", "missing", "forbidden", "extra"]
    );
    assert_eq!(v["result"], "incompatible");
    let missing: Vec<&str> = v["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        missing.contains(&"popcnt") && missing.contains(&"sse4.2"),
        "{missing:?}"
    );
    assert!(!v["reasons"].as_array().unwrap().is_empty());

    let r = cpucompat(
        &[
            "compare",
            "--format",
            "json",
            "x86_64-host.xml",
            "x86_64-exact-forbid.xml",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    let v = json(&r.stdout);
    assert_eq!(v["result"], "incompatible");
    assert_eq!(v["forbidden"], serde_json::json!(["vmx"]));

    let r = cpucompat(
        &[
            "compare",
            "--format",
            "json",
            "x86_64-host.xml",
            "x86_64-host-worse.xml",
        ],
        None,
    );
    assert_eq!(r.code, 0);
    let v = json(&r.stdout);
    assert_eq!(v["result"], "superset");
    assert_eq!(v["missing"], serde_json::json!([]));
    assert!(!v["extra"].as_array().unwrap().is_empty());
}

#[test]
fn compare_accepts_a_cpuid_dump_as_host() {
    // The dump decodes to Skylake-Server plus extras: Penryn runs on it.
    let r = cpucompat(
        &[
            "compare",
            "--format",
            "json",
            "x86_64-cpuid-Xeon-Gold-6148.xml",
            "x86_64-exact.xml",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["result"], "superset");
}

#[test]
fn unknown_feature_is_an_error_with_line_and_column() {
    let r = cpucompat(
        &["compare", "x86_64-host.xml", "x86_64-bogus-feature.xml"],
        None,
    );
    support::assert_error(
        &r,
        "x86_64-bogus-feature.xml:3:3: unknown CPU feature bogus",
    );
}

#[test]
fn unknown_model_is_an_error_with_line_and_column() {
    let r = cpucompat(
        &["compare", "x86_64-host.xml", "x86_64-bogus-model.xml"],
        None,
    );
    support::assert_error(&r, "x86_64-bogus-model.xml:2:3: unknown CPU model Bogus");
}

#[test]
fn malformed_xml_is_an_error_with_a_position() {
    let r = cpucompat(
        &["baseline", "-"],
        Some("<cpu>\n  <arch>x86_64</arch>\n  <model>Penryn</mod>\n</cpu>\n"),
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with("cpucompat: error: <stdin>:3:"),
        "{}",
        r.stderr
    );
}

#[test]
fn baseline_of_one_model_is_that_model_with_fallback_forbid() {
    let r = cpucompat(&["baseline", "x86_64-baseline-simple.xml"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Westmere</model>\n</cpu>\n"
    );
}

#[test]
fn baseline_features_lists_every_feature_as_required() {
    let plain = cpucompat(&["baseline", "x86_64-baseline-Westmere+Nehalem.xml"], None);
    let full = cpucompat(
        &[
            "baseline",
            "--features",
            "x86_64-baseline-Westmere+Nehalem.xml",
        ],
        None,
    );
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert_eq!(full.code, 0, "{}", full.stderr);
    let count = |s: &str| s.matches("<feature ").count();
    assert!(
        count(&full.stdout) > count(&plain.stdout) + 20,
        "{}",
        full.stdout
    );
    assert!(full
        .stdout
        .contains("<feature policy='require' name='sse2'/>"));
    // --migratable drops invtsc, which both inputs have.
    assert!(plain.stdout.contains("name='invtsc'"));
    let mig = cpucompat(
        &[
            "baseline",
            "--migratable",
            "x86_64-baseline-Westmere+Nehalem.xml",
        ],
        None,
    );
    assert_eq!(mig.code, 0, "{}", mig.stderr);
    assert!(!mig.stdout.contains("invtsc"), "{}", mig.stdout);
}

#[test]
fn baseline_of_several_files_reads_every_cpu() {
    let r = cpucompat(
        &[
            "baseline",
            "x86_64-cpuid-Xeon-E5-2609-v3-json.xml",
            "x86_64-cpuid-Xeon-Gold-6148-json.xml",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("<model fallback='allow'>"),
        "{}",
        r.stdout
    );
}

#[test]
fn baseline_of_different_vendors_fails_with_exit_2() {
    let r = cpucompat(
        &["baseline", "x86_64-baseline-incompatible-vendors.xml"],
        None,
    );
    support::assert_error(
        &r,
        "x86_64-baseline-incompatible-vendors.xml:8:1: CPU vendors do not match",
    );
}

#[test]
fn baseline_json_is_the_cpu_as_json() {
    let r = cpucompat(
        &["baseline", "--format", "json", "x86_64-baseline-simple.xml"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    assert!(r.stdout.contains("Westmere"), "{v}");
}

#[test]
fn decode_host_and_guest() {
    let host = cpucompat(
        &["decode", "x86_64-cpuid-Xeon-Gold-6148.xml", "--as", "host"],
        None,
    );
    assert_eq!(host.code, 0, "{}", host.stderr);
    assert!(
        host.stdout.starts_with("<cpu>\n  <arch>x86_64</arch>\n"),
        "{}",
        host.stdout
    );
    assert!(host
        .stdout
        .contains("<signature family='6' model='85' stepping='4'/>"));
    let guest = cpucompat(
        &["decode", "x86_64-cpuid-Xeon-Gold-6148.xml", "--as", "guest"],
        None,
    );
    assert_eq!(guest.code, 0, "{}", guest.stderr);
    assert!(
        guest
            .stdout
            .starts_with("<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>"),
        "{}",
        guest.stdout
    );
    assert!(guest.stdout.contains("<vendor>Intel</vendor>"));
}

#[test]
fn decode_reads_stdin_and_prints_json() {
    let dump = std::fs::read_to_string(data().join("x86_64-cpuid-EPYC-7601-32-Core.xml")).unwrap();
    let file = cpucompat(&["decode", "x86_64-cpuid-EPYC-7601-32-Core.xml"], None);
    let stdin = cpucompat(&["decode", "-"], Some(&dump));
    assert_eq!(stdin.code, 0, "{}", stdin.stderr);
    assert_eq!(stdin.stdout, file.stdout);
    let j = cpucompat(&["decode", "--format", "json", "-"], Some(&dump));
    assert_eq!(j.code, 0, "{}", j.stderr);
    let v = json(&j.stdout);
    assert!(j.stdout.contains("AMD"), "{v}");
}

#[test]
fn decode_guest_with_qemu_models_disables_blockers() {
    // QEMU lists rdtscp as blocking EPYC-IBPB on this host (libvirt's test expects
    // `disable rdtscp` although the CPU has it).
    let r = cpucompat(
        &[
            "decode",
            "x86_64-cpuid-EPYC-7601-32-Core-ibpb.xml",
            "--as",
            "guest",
            "--hypervisor-models",
            "x86_64-cpuid-EPYC-7601-32-Core-ibpb.json",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("<feature policy='disable' name='rdtscp'/>"),
        "{}",
        r.stdout
    );
}

#[test]
fn decode_of_a_bad_dump_names_the_position() {
    let r = cpucompat(
        &["decode", "-"],
        Some("<cpudata arch='x86'>\n  <cpuid eax_in='0x0' ecx_in='0x0' eax='zz' ebx='0' ecx='0' edx='0'/>\n</cpudata>\n"),
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with("cpucompat: error: <stdin>:2:"),
        "{}",
        r.stderr
    );
}

#[test]
fn models_of_a_host_say_usable_or_blocked() {
    let r = cpucompat(&["models", "x86_64-host.xml"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = |name: &str| {
        r.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{}", r.stdout))
            .to_string()
    };
    assert!(line("Penryn").contains(" yes"));
    let nehalem = line("Nehalem");
    assert!(
        nehalem.contains(" no ") && nehalem.contains("popcnt"),
        "{nehalem}"
    );

    let j = cpucompat(&["models", "--format", "json", "x86_64-host.xml"], None);
    let v = json(&j.stdout);
    let penryn = v
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Penryn")
        .unwrap();
    assert_eq!(penryn["usable"], true);
    assert_eq!(penryn["blockers"], serde_json::json!([]));
}

#[test]
fn models_without_host_list_the_catalog() {
    let r = cpucompat(&["models"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.lines().count() > 100);
    let sky = r
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some("Skylake-Client"))
        .unwrap();
    let cols: Vec<&str> = sky.split_whitespace().collect();
    assert_eq!(cols, ["Skylake-Client", "Intel", "Skylake-Client-v1"]);
    assert_eq!(
        r.stdout
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["MODEL", "VENDOR", "CANONICAL"]
    );
}

#[test]
fn expand_prints_the_model_features_in_three_forms() {
    let text = cpucompat(&["expand", "Westmere"], None);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let names: Vec<&str> = text.stdout.lines().collect();
    assert!(
        names.contains(&"aes") && names.contains(&"sse4.2"),
        "{names:?}"
    );

    let j = cpucompat(&["expand", "--format", "json", "Westmere"], None);
    let v = json(&j.stdout);
    assert_eq!(
        keys(&v),
        ["name", "vendor", "canonical", "features", "details"]
    );
    assert_eq!(v["name"], "Westmere");
    assert_eq!(v["vendor"], "Intel");
    assert_eq!(v["details"], serde_json::json!({"arch": "x86_64"}));
    assert_eq!(v["features"].as_array().unwrap().len(), names.len());

    let x = cpucompat(&["expand", "--format", "xml", "Westmere"], None);
    assert_eq!(x.code, 0, "{}", x.stderr);
    assert!(x.stdout.starts_with(
        "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Westmere</model>\n"
    ));
    assert_eq!(x.stdout.matches("policy='require'").count(), names.len());

    let bad = cpucompat(&["expand", "Bogus"], None);
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stdout, "");
    assert!(bad.stderr.contains("Bogus"), "{}", bad.stderr);
}

#[test]
fn a_missing_cpu_map_is_an_error() {
    let r = cpucompat(&["models", "--cpu-map", "no-such-dir"], None);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with("cpucompat: error: no-such-dir"),
        "{}",
        r.stderr
    );
}

#[test]
fn no_arguments_prints_a_host_report() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: not an x86_64 machine");
        return;
    }
    let r = cpucompat(&[], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for label in [
        "vendor:",
        "signature:",
        "host model:",
        "features:",
        "usable models:",
    ] {
        assert!(r.stdout.contains(label), "no {label} in\n{}", r.stdout);
    }
    let j = cpucompat(&["host", "--format", "json"], None);
    assert_eq!(j.code, 0, "{}", j.stderr);
    let v = json(&j.stdout);
    assert!(v["models"].as_array().unwrap().len() > 100);
}

/// `cpuid -r | cpucompat decode - --as host` gives what the CPUID part of the live probe
/// gives (`cpuid -r` reads no MSRs, while `host` adds the feature MSRs libvirt reads).
#[test]
fn cpuid_r_decode_agrees_with_the_live_probe() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: not an x86_64 machine");
        return;
    }
    let Ok(out) = Command::new("cpuid").arg("-r").output() else {
        eprintln!("skipped: `cpuid` is not installed (apt-get install cpuid)");
        return;
    };
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let decoded = cpucompat(&["decode", "-", "--as", "host"], Some(&text));
    assert_eq!(decoded.code, 0, "{}", decoded.stderr);
    let engine = cpucompat::Engine::new(cpucompat::Arch::X86).unwrap();
    let x86 = engine.x86().unwrap();
    let mut live = x86.probe().unwrap();
    live.items
        .retain(|i| matches!(i, cpucompat::xml::model::CpuDataItem::Cpuid { .. }));
    let probed = x86
        .decode_with(&live, cpucompat::CpuKind::Host, None)
        .unwrap();
    assert_eq!(decoded.stdout, probed.to_xml());
    // The full report adds only MSR features, and says which sources it read.
    let report = cpucompat(&["host", "--format", "json"], None);
    let v = json(&report.stdout);
    assert_eq!(v["sources"][0], "cpuid instruction");
}

#[test]
fn compare_reads_capabilities_as_host_and_domain_xml_as_guest() {
    let r = cpucompat(
        &[
            "compare",
            "--format",
            "json",
            "../cli/capabilities.xml",
            "../cli/domain-penryn.xml",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["result"], "superset");
    // The host's extras, less the one the guest disables.
    let extra: Vec<&str> = v["extra"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        extra.contains(&"dca") && !extra.contains(&"vmx"),
        "{extra:?}"
    );
    // The same host as a bare <cpu> gives the same answer.
    let bare = cpucompat(
        &[
            "compare",
            "--format",
            "json",
            "x86_64-host.xml",
            "../cli/domain-penryn.xml",
        ],
        None,
    );
    assert_eq!(bare.stdout, r.stdout);
}

#[test]
fn feature_aliases_are_unknown_features_as_in_libvirt() {
    let r = cpucompat(
        &["compare", "x86_64-host.xml", "../cli/domain-bogus.xml"],
        None,
    );
    support::assert_error(
        &r,
        "../cli/domain-bogus.xml:9:5: unknown CPU feature sse4_2",
    );
}

#[test]
fn a_file_without_cpu_is_an_error() {
    let r = cpucompat(
        &["compare", "x86_64-host.xml", "../cli/empty-domain.xml"],
        None,
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .starts_with("cpucompat: error: ../cli/empty-domain.xml"),
        "{}",
        r.stderr
    );
}

#[test]
fn cpuid_r_text_decodes_like_the_cpudata_dump() {
    for cpu in ["Xeon-Gold-6148", "EPYC-7601-32-Core"] {
        for kind in ["host", "guest"] {
            let xml = cpucompat(
                &["decode", &format!("x86_64-cpuid-{cpu}.xml"), "--as", kind],
                None,
            );
            let text = cpucompat(
                &[
                    "decode",
                    &format!("x86_64-cpuid-{cpu}.cpuid-r.txt"),
                    "--as",
                    kind,
                ],
                None,
            );
            assert_eq!(xml.code, 0, "{}", xml.stderr);
            assert_eq!(text.code, 0, "{}", text.stderr);
            assert_eq!(text.stdout, xml.stdout, "{cpu} as {kind}");
        }
    }
    // And a cpuid -r dump serves as the host of a compare.
    let r = cpucompat(
        &[
            "compare",
            "x86_64-cpuid-Xeon-Gold-6148.cpuid-r.txt",
            "x86_64-exact.xml",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn bad_cpuid_r_text_names_line_and_column() {
    let r = cpucompat(
        &["decode", "-"],
        Some("CPU 0:\n   0x00000000 0x00: eax=0x00000016 ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n   0x00000001 0x00: eax=0x00050654 ebx=nothex ecx=0x7ffefbff edx=0xbfebfbff\n"),
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with("cpucompat: error: <stdin>:3:"),
        "{}",
        r.stderr
    );
}

#[test]
fn baseline_streams_a_large_pool_and_equals_the_small_answer() {
    let one = std::fs::read_to_string(data().join("x86_64-host.xml")).unwrap();
    let worse = std::fs::read_to_string(data().join("x86_64-host-worse.xml")).unwrap();
    // 20,000 copies of a host, then one weaker host: the answer is the weaker host's.
    let mut pool = one.repeat(20_000);
    pool.push_str(&worse);
    let dir = std::env::temp_dir().join(format!("cpucompat-cli-x86-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pool.xml");
    std::fs::write(&file, &pool).unwrap();
    let big = cpucompat(
        &["--arch", "x86_64", "baseline", file.to_str().unwrap()],
        None,
    );
    let small = cpucompat(
        &["baseline", "x86_64-host.xml", "x86_64-host-worse.xml"],
        None,
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(big.code, 0, "{}", big.stderr);
    assert_eq!(small.code, 0, "{}", small.stderr);
    assert_eq!(big.stdout, small.stdout);
    assert!(big.stdout.contains(">Penryn</model>"), "{}", big.stdout);
}

#[test]
fn baseline_names_the_file_of_a_bad_cpu() {
    let r = cpucompat(
        &["baseline", "x86_64-host.xml", "x86_64-bogus-model.xml"],
        None,
    );
    support::assert_error(&r, "x86_64-bogus-model.xml:2:3: unknown CPU model Bogus");
    let r = cpucompat(
        &["baseline", "x86_64-host.xml", "../cli/empty-domain.xml"],
        None,
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .starts_with("cpucompat: error: ../cli/empty-domain.xml"),
        "{}",
        r.stderr
    );
    let r = cpucompat(&["baseline", "no-such-file.xml"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("cpucompat: error: no-such-file.xml: "),
        "{}",
        r.stderr
    );
}

#[test]
fn expand_xml_is_what_baseline_features_prints_for_one_cpu_of_the_model() {
    let expand = cpucompat(&["expand", "--format", "xml", "Westmere"], None);
    let baseline = cpucompat(
        &["baseline", "--features", "x86_64-baseline-simple.xml"],
        None,
    );
    assert_eq!(expand.code, 0, "{}", expand.stderr);
    assert_eq!(baseline.code, 0, "{}", baseline.stderr);
    assert_eq!(expand.stdout, baseline.stdout);
}

#[test]
fn baseline_with_hypervisor_models_answers_with_one_of_them() {
    let qmp = "x86_64-cpuid-Xeon-Gold-6130.json";
    let r = cpucompat(
        &[
            "baseline",
            "--hypervisor-models",
            qmp,
            "x86_64-cpuid-Xeon-Gold-6130-host.xml",
            "x86_64-cpuid-Xeon-E5-2650-v4-host.xml",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let model = r
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("<model fallback='allow'>"))
        .and_then(|l| l.strip_suffix("</model>"))
        .unwrap_or_else(|| panic!("no model in\n{}", r.stdout));
    let text = std::fs::read_to_string(data().join(qmp)).unwrap();
    assert!(
        text.contains(&format!("\"name\": \"{model}\"")),
        "{model} is not one of QEMU's models"
    );
    let bad = cpucompat(
        &[
            "baseline",
            "--hypervisor-models",
            "x86_64-host.xml",
            "x86_64-host.xml",
        ],
        None,
    );
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stdout, "");
    assert!(
        bad.stderr.starts_with("cpucompat: error: x86_64-host.xml"),
        "{}",
        bad.stderr
    );
}
