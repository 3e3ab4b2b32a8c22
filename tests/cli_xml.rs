//! `cpucompat parse`, run as the real binary: normalized output, and one located error
//! line with exit status 2 (and nothing on stdout) for every kind of bad XML.
mod support;

use std::path::PathBuf;
use std::process::Command;
use support::Run;

fn file(name: &str, content: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli_xml");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn run(args: &[&str], stdin: Option<&str>) -> Run {
    support::cpucompat(None, args, stdin)
}

/// Parses `content` from a file named `name`; asserts exit 2, no stdout, and the message.
fn rejects(name: &str, content: &[u8], message: &str) {
    let p = file(name, content);
    let r = run(&["parse", p.to_str().unwrap()], None);
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!("cpucompat: error: {}:{message}\n", p.display())
    );
}

#[test]
fn malformed_xml_is_rejected_with_line_and_column() {
    rejects(
        "malformed.xml",
        b"<cpu mode='custom' match='exact'>\n  <model fallback='allow'>Haswell</modle>\n</cpu>\n",
        "2:34: expected </model> (opened at 2:3), found </modle>",
    );
    rejects(
        "badattr.xml",
        b"<cpu>\n  <model fallback=allow>Haswell</model>\n</cpu>\n",
        "2:19: expected a quoted value for attribute 'fallback'",
    );
}

#[test]
fn truncated_xml_is_rejected() {
    rejects(
        "truncated.xml",
        b"<cpu mode='custom' match='exact'>\n  <model fallback='allow'>Haswell</model>\n  <feature policy='require' na",
        "3:3: unexpected end of input inside the <feature> tag",
    );
    rejects(
        "unclosed.xml",
        b"<cpu>\n  <model>Haswell</model>\n",
        "3:1: unexpected end of input: <cpu> opened at 1:1 is not closed",
    );
}

#[test]
fn dtd_is_rejected() {
    rejects(
        "dtd.xml",
        b"<?xml version='1.0'?>\n<!DOCTYPE cpu SYSTEM 'cpu.dtd'>\n<cpu/>\n",
        "2:1: doctype and entity declarations are not allowed",
    );
    rejects(
        "laughs.xml",
        b"<!DOCTYPE lolz [\n <!ENTITY lol 'lol'>\n <!ENTITY lol2 '&lol;&lol;&lol;'>\n]>\n<cpu><model>&lol2;</model></cpu>\n",
        "1:1: doctype and entity declarations are not allowed",
    );
}

#[test]
fn entity_reference_is_rejected() {
    rejects(
        "entity.xml",
        b"<cpu>\n  <model>&xxe;</model>\n</cpu>\n",
        "2:10: unknown entity reference '&xxe;': only &lt; &gt; &amp; &apos; &quot; and character references are allowed",
    );
}

#[test]
fn too_deep_is_rejected() {
    let mut s = String::from("<domain>\n");
    for _ in 0..100 {
        s.push_str("<a>");
    }
    rejects(
        "deep.xml",
        s.as_bytes(),
        "2:190: elements nested deeper than 64 levels",
    );
}

#[test]
fn over_size_is_rejected() {
    // 16 MiB + a bit: 2 lines of feature elements, over the 16 MiB default limit.
    let feature = "<feature name='x'/>";
    let n = (16 << 20) / feature.len() + 10;
    let mut s = String::with_capacity(n * feature.len() + 64);
    s.push_str("<cpu><model>a</model>\n");
    for _ in 0..n {
        s.push_str(feature);
    }
    s.push_str("\n</cpu>\n");
    let col = (16 << 20) - "<cpu><model>a</model>\n".len() + 1;
    rejects(
        "big.xml",
        s.as_bytes(),
        &format!("2:{col}: input is larger than 16777216 bytes"),
    );
}

#[test]
fn bad_cpu_definitions_are_rejected() {
    rejects(
        "dup.xml",
        b"<cpu match='exact'>\n  <model>Haswell</model>\n  <feature name='vmx'/>\n  <feature name='vmx' policy='disable'/>\n</cpu>\n",
        "4:3: feature 'vmx' specified more than once (first at 3:3)",
    );
    rejects(
        "hostmode.xml",
        b"<cpu mode='host-model'>\n  <arch>x86_64</arch>\n  <model>Haswell</model>\n</cpu>\n",
        "1:6: a <cpu> with <arch> is a host CPU and cannot have a 'mode' attribute",
    );
    rejects(
        "nothing.xml",
        b"<domain type='kvm'>\n  <name>vm</name>\n</domain>\n",
        "1:1: no <cpu> element found in <domain>: expected <cpu> elements, domain XML, capabilities or domain capabilities",
    );
    rejects(
        "binary.xml",
        b"<cpu>\n<model>\xff</model></cpu>",
        "2:8: not UTF-8 text",
    );
}

#[test]
fn parse_prints_normalized_xml() {
    let p = file(
        "pair.xml",
        b"<cpuTest>\n<cpu match='exact'>\n  <model>Penryn</model>\n  <feature name='vmx' policy='disable'/>\n</cpu>\n<cpu mode='host-model'/>\n</cpuTest>\n",
    );
    let r = run(&["parse", p.to_str().unwrap()], None);
    assert_eq!(r.stderr, "");
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>Penryn</model>\n  <feature policy='disable' name='vmx'/>\n</cpu>\n<cpu mode='host-model'>\n  <model fallback='allow'/>\n</cpu>\n"
    );
}

#[test]
fn parse_prints_json_from_stdin() {
    let r = run(
        &["parse", "--format", "json", "-"],
        Some(
            "<cpu><arch>s390x</arch><model>z13</model><feature name='vx' policy='disable'/></cpu>",
        ),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v[0]["kind"], "host");
    assert_eq!(v[0]["arch"], "s390x");
    assert_eq!(v[0]["features"][0]["name"], "vx");
    assert_eq!(v[0]["features"][0]["policy"], serde_json::Value::Null);
}

#[test]
fn parse_prints_a_cpudata_dump() {
    let r = run(
        &["parse", "-"],
        Some("<!-- dump -->\n<cpudata arch='x86'>\n<msr index='0x10A' eax='0xb' edx='0'/>\n</cpudata>\n"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "<cpudata arch='x86'>\n  <msr index='0x10a' edx='0x00000000' eax='0x0000000b'/>\n</cpudata>\n"
    );
}

/// Differential check against libvirt itself (`virsh -c test:///default cpu-baseline`,
/// which needs no hypervisor): libvirt reads our normalized output of each baseline input
/// to the same result as the original `<cpu>` elements, and our printing of libvirt's
/// result reproduces it byte for byte. Skips when `virsh` is absent.
#[test]
fn virsh_agrees_with_printed_cpus() {
    let virsh = |file: &std::path::Path| {
        Command::new("virsh")
            .args(["-c", "test:///default", "cpu-baseline"])
            .arg(file)
            .output()
    };
    let probe = file(
        "probe.xml",
        b"<cpu><arch>x86_64</arch><model>Penryn</model></cpu>\n",
    );
    match virsh(&probe) {
        Ok(o) if o.status.success() => {}
        _ => {
            eprintln!("skipping: `virsh -c test:///default cpu-baseline` is not available");
            return;
        }
    }
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/cases/xml/fixtures");
    let mut checked = 0;
    for name in [
        "x86_64-baseline-Westmere+Nehalem.xml",
        "x86_64-baseline-no-vendor.xml",
        "x86_64-baseline-incompatible-vendors.xml",
        "ppc64-baseline-same-model.xml",
    ] {
        let text = std::fs::read_to_string(fixtures.join(name)).unwrap();
        // virsh does not know the <cpuTest> wrapper: give it the bare <cpu> elements.
        let bare: String = text
            .lines()
            .filter(|l| !l.contains("cpuTest>"))
            .map(|l| format!("{l}\n"))
            .collect();
        let orig = file(&format!("orig-{name}"), bare.as_bytes());
        let ours = run(&["parse", fixtures.join(name).to_str().unwrap()], None);
        assert_eq!(ours.code, 0, "{name}: {}", ours.stderr);
        let printed = file(&format!("printed-{name}"), ours.stdout.as_bytes());
        let a = virsh(&orig).unwrap();
        let b = virsh(&printed).unwrap();
        assert_eq!(a.status.success(), b.status.success(), "{name}");
        assert_eq!(
            String::from_utf8_lossy(&a.stdout),
            String::from_utf8_lossy(&b.stdout),
            "{name}"
        );
        if a.status.success() {
            let result = String::from_utf8(a.stdout).unwrap();
            let result = result.trim_end().to_string() + "\n";
            let r = run(&["parse", "-"], Some(&result));
            assert_eq!(r.stdout, result, "{name}: libvirt's result reprinted");
        }
        checked += 1;
    }
    assert_eq!(checked, 4);
}
