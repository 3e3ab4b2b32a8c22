//! Reading and writing CPU XML: libvirt's rules, positions, limits, streaming.
use cpucompat_xml::*;

fn one(text: &str) -> CpuDef {
    let v = parse_cpus(text).unwrap();
    assert_eq!(v.len(), 1);
    v.into_iter().next().unwrap()
}

fn err(text: &str) -> String {
    parse_cpus(text).unwrap_err().to_string()
}

#[test]
fn guest_defaults_and_writer_match_libvirt() {
    let c = one("<cpu match='exact'>\n  <model>Penryn</model>\n  <feature name='vmx' policy='disable'/>\n  <feature name='sse4.2'/>\n</cpu>\n");
    assert_eq!(c.kind, CpuKind::Guest);
    assert_eq!(c.mode, Mode::Custom);
    assert_eq!(c.match_, Some(Match::Exact));
    assert_eq!(c.model_name(), Some("Penryn"));
    assert_eq!(c.features[0].policy, Some(Policy::Disable));
    assert_eq!(c.features[1].policy, None);
    assert_eq!(c.policy_of(&c.features[1]), Policy::Require);
    assert_eq!(c.features[1].pos, Pos { line: 4, column: 3 });
    assert_eq!(
        write_cpu(&c),
        "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>Penryn</model>\n  <feature policy='disable' name='vmx'/>\n  <feature policy='require' name='sse4.2'/>\n</cpu>\n"
    );
}

#[test]
fn host_cpu_ignores_policies_and_writes_libvirt_form() {
    let text = "<cpu>\n  <arch>x86_64</arch>\n  <model>Skylake-Server-v1</model>\n  <vendor>Intel</vendor>\n  <signature family='6' model='85' stepping='4'/>\n  <feature name='dtes64' policy='disable'/>\n</cpu>\n";
    let c = one(text);
    assert_eq!(c.kind, CpuKind::Host);
    assert_eq!(c.features[0].policy, None);
    assert_eq!(c.policy_of(&c.features[0]), Policy::Require);
    assert_eq!(
        c.signature,
        Some(Signature {
            family: 6,
            model: 85,
            stepping: Some(4)
        })
    );
    assert_eq!(write_cpu(&c), text.replace(" policy='disable'", ""));
}

#[test]
fn empty_modes_are_written_self_closing_or_with_fallback() {
    assert_eq!(
        write_cpu(&one("<cpu mode='host-passthrough'/>")),
        "<cpu mode='host-passthrough'/>\n"
    );
    assert_eq!(
        write_cpu(&one("<cpu mode='host-model'/>")),
        "<cpu mode='host-model'>\n  <model fallback='allow'/>\n</cpu>\n"
    );
}

#[test]
fn host_rules_are_errors() {
    assert_eq!(
        err("<cpu match='exact'>\n  <arch>x86_64</arch>\n  <model>a</model>\n</cpu>"),
        "1:6: a <cpu> with <arch> is a host CPU and cannot have a 'match' attribute"
    );
    assert_eq!(
        err("<cpu mode='custom'><arch>x86_64</arch><model>a</model></cpu>"),
        "1:6: a <cpu> with <arch> is a host CPU and cannot have a 'mode' attribute"
    );
    assert_eq!(
        err("<cpu><arch>x86_64</arch></cpu>"),
        "1:1: a <cpu> with <arch> is a host CPU and needs a <model> name"
    );
}

#[test]
fn guest_rules_are_errors() {
    assert_eq!(
        err("<cpu>\n <feature name='a'/>\n</cpu>"),
        "2:2: <feature> needs a <model> name in a custom-mode CPU"
    );
    assert_eq!(
        err("<cpu><model>a</model><feature name='x'/>\n<feature name='x'/></cpu>"),
        "2:1: feature 'x' specified more than once (first at 1:22)"
    );
    assert_eq!(
        err("<cpu mode='weird'/>"),
        "1:6: invalid mode='weird' on <cpu>: expected one of custom, host-model, host-passthrough, maximum"
    );
    assert_eq!(
        err("<cpu><model>a</model><feature policy='maybe' name='x'/></cpu>"),
        "1:31: invalid policy='maybe' on <feature>: expected one of force, require, optional, disable, forbid"
    );
    assert_eq!(
        err("<cpu><vendor>Intel</vendor></cpu>"),
        "1:6: <vendor> needs a <model> name"
    );
    assert_eq!(
        err("<cpu><model>a</model><topology sockets='x' cores='1' threads='1'/></cpu>"),
        "1:32: invalid sockets='x' on <topology>: expected an unsigned decimal number"
    );
}

#[test]
fn every_wrapper_form_is_found() {
    let many = "<cpu><model>a</model></cpu>\n<cpu><model>b</model></cpu>\n";
    assert_eq!(parse_cpus(many).unwrap().len(), 2);
    let wrapped = "<cpuTest>\n<cpu><arch>x86_64</arch><model>a</model></cpu>\n<cpu><arch>x86_64</arch><model>b</model></cpu>\n</cpuTest>";
    let v = parse_cpus(wrapped).unwrap();
    assert_eq!(v[1].model_name(), Some("b"));
    assert_eq!(v[1].pos, Pos { line: 3, column: 1 });
    let domain = "<domain type='kvm'><name>x</name><cpu mode='host-model' check='partial'/><devices><cpu/></devices></domain>";
    let v = parse_cpus(domain).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].check, Some(Check::Partial));
    let caps = "<?xml version='1.0'?>\n<capabilities><host><uuid>u</uuid><cpu><arch>ppc64le</arch><model>POWER9</model><vendor>IBM</vendor><pages unit='KiB' size='64'/></cpu></host><guest/></capabilities>";
    assert_eq!(
        parse_cpus(caps).unwrap()[0].arch.as_deref(),
        Some("ppc64le")
    );
    let domcaps = "<domainCapabilities><cpu><mode name='host-passthrough' supported='yes'/>\
        <mode name='host-model' supported='yes'><model fallback='forbid'>Skylake-Client</model>\
        <vendor>Intel</vendor><maxphysaddr mode='passthrough' limit='39'/>\
        <feature policy='require' name='ss'/></mode>\
        <mode name='custom' supported='yes'><model usable='yes'>qemu64</model></mode></cpu></domainCapabilities>";
    let v = parse_cpus(domcaps).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].mode, Mode::Custom);
    assert_eq!(
        v[0].model.as_ref().unwrap().fallback,
        Some(Fallback::Forbid)
    );
    assert_eq!(v[0].features[0].name, "ss");
}

#[test]
fn no_cpu_is_an_error() {
    assert_eq!(
        err("<domain><name>x</name></domain>"),
        "1:1: no <cpu> element found in <domain>: expected <cpu> elements, domain XML, capabilities or domain capabilities"
    );
    assert_eq!(err("  \n"), "2:1: no XML element found");
}

#[test]
fn safety_errors_name_line_and_column() {
    assert_eq!(
        err("<?xml version='1.0'?>\n<!DOCTYPE cpu [<!ENTITY x 'y'>]>\n<cpu/>"),
        "2:1: doctype and entity declarations are not allowed"
    );
    assert_eq!(
        err("<cpu>\n  <model>&x;</model>\n</cpu>"),
        "2:10: unknown entity reference '&x;': only &lt; &gt; &amp; &apos; &quot; and character references are allowed"
    );
    assert_eq!(
        err("<cpu>\n  <model>a</modl>\n</cpu>"),
        "2:11: expected </model> (opened at 2:3), found </modl>"
    );
    assert_eq!(
        err("<cpu>\n  <model>a</model>\n"),
        "3:1: unexpected end of input: <cpu> opened at 1:1 is not closed"
    );
    let deep = format!("<cpu>{}", "<a>".repeat(70));
    assert_eq!(err(&deep), "1:195: elements nested deeper than 64 levels");
    let limits = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        parse_cpus_with("<cpu>\n<model>a</model></cpu>", &limits)
            .unwrap_err()
            .to_string(),
        "2:5: input is larger than 10 bytes"
    );
    let limits = Limits {
        max_elements: 3,
        ..Limits::default()
    };
    assert_eq!(
        parse_cpus_with(
            "<cpu><model>a</model><feature name='a'/><feature name='b'/></cpu>",
            &limits
        )
        .unwrap_err()
        .to_string(),
        "1:41: more than 3 elements"
    );
}

#[test]
fn escaping_round_trips() {
    let c = one(
        "<cpu><model>a&amp;b&lt;&#9;</model><feature policy='require' name='x&apos;&#10;y'/></cpu>",
    );
    assert_eq!(c.model_name(), Some("a&b<\t"));
    assert_eq!(c.features[0].name, "x'\ny");
    let w = write_cpu(&c);
    assert!(w.contains("<model fallback='allow'>a&amp;b&lt;&#9;</model>"));
    let mut back = one(&w).normalized();
    back.pos = Pos::default();
    assert_eq!(back, c.normalized());
}

#[test]
fn cpudata_reads_and_writes_libvirt_form() {
    let text = "<!-- a comment -->\n<cpudata arch='x86'>\n  <cpuid eax_in='0x00000001' ecx_in='0x00' eax='0x00050654' ebx='0x45400800' ecx='0x7ffefbff' edx='0xbfebfbff'/>\n  <msr index='0x10a' edx='0x00000000' eax='0x000001eb'/>\n</cpudata>\n";
    let d = parse_cpudata(text).unwrap();
    assert_eq!(d.arch, "x86");
    assert_eq!(
        d.items[0],
        CpuDataItem::Cpuid {
            leaf: 1,
            subleaf: 0,
            regs: [0x50654, 0x45400800, 0x7ffefbff, 0xbfebfbff]
        }
    );
    assert_eq!(write_cpudata(&d), text.replace("<!-- a comment -->\n", ""));
    let p = parse_cpudata("<cpudata arch='ppc64'><pvr value='0x004e1202'/></cpudata>").unwrap();
    assert_eq!(p.items, vec![CpuDataItem::Pvr { value: 0x004e1202 }]);
    assert_eq!(
        parse_cpudata("<cpudata arch='x86'>\n <cpuid eax_in='zz'/></cpudata>")
            .unwrap_err()
            .to_string(),
        "2:9: invalid eax_in='zz' on <cpuid>: expected a 32-bit hexadecimal number"
    );
    assert_eq!(
        parse_cpudata("<cpu/>").unwrap_err().to_string(),
        "1:1: expected a <cpudata> element, found <cpu>"
    );
}

#[test]
fn stream_reads_one_cpu_at_a_time_with_bounded_buffer() {
    // 20 000 CPUs (~2 MB) through a reader whose per-element limit is 4 KiB: each CPU is
    // read and dropped in turn, so the limit is never hit.
    let one_cpu = "<cpu><arch>x86_64</arch><model>Haswell</model><vendor>Intel</vendor><feature name='vmx'/></cpu>\n";
    let mut text = String::from("<pool>\n");
    for _ in 0..20_000 {
        text.push_str(one_cpu);
    }
    text.push_str("</pool>\n");
    let limits = Limits {
        max_bytes: 4096,
        ..Limits::default()
    };
    let mut n = 0;
    for c in CpuReader::with_limits(std::io::BufReader::new(text.as_bytes()), limits) {
        let c = c.unwrap();
        assert_eq!(c.model_name(), Some("Haswell"));
        n += 1;
    }
    assert_eq!(n, 20_000);
    // and the whole-input form refuses it under the same byte limit
    assert!(parse_cpus_with(&text, &limits).is_err());
}

#[test]
fn stream_reports_element_too_large() {
    let limits = Limits {
        max_bytes: 64,
        ..Limits::default()
    };
    let text = format!(
        "<cpus>\n  <cpu><model>{}</model></cpu></cpus>",
        "x".repeat(200)
    );
    let e = CpuReader::with_limits(
        std::io::BufReader::with_capacity(16, text.as_bytes()),
        limits,
    )
    .next()
    .unwrap()
    .unwrap_err();
    assert_eq!(e.to_string(), "2:3: <cpu> element is larger than 64 bytes");
}

#[test]
fn json_shape_is_stable() {
    let c = one("<cpu match='exact'><model fallback='forbid'>Haswell</model><vendor>Intel</vendor><topology sockets='1' cores='2' threads='2'/><feature name='rtm' policy='disable'/></cpu>");
    assert_eq!(
        cpu_to_json(&c).to_string(),
        r#"{"kind":"guest","mode":"custom","match":"exact","check":null,"arch":null,"model":{"name":"Haswell","fallback":"forbid","vendor_id":null},"vendor":"Intel","signature":null,"microcode":null,"topology":{"sockets":1,"dies":null,"clusters":null,"cores":2,"threads":2},"features":[{"name":"rtm","policy":"disable"}]}"#
    );
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let c = one("\u{FEFF}<cpu>\n<model>a</model><feature name='x'/></cpu>");
    assert_eq!(c.pos, Pos { line: 1, column: 1 });
    assert_eq!(
        c.features[0].pos,
        Pos {
            line: 2,
            column: 17
        }
    );
    let v: Vec<_> = CpuReader::new(std::io::BufReader::with_capacity(
        1,
        "\u{FEFF}<cpu/>".as_bytes(),
    ))
    .collect::<Result<_, _>>()
    .unwrap();
    assert_eq!(v.len(), 1);
}

#[test]
fn positions_inside_a_cpu_that_starts_mid_line_are_input_positions() {
    let text = "<pool><cpu><model>a</model><feature name='x'/>\n  <feature policy='bad' name='y'/></cpu></pool>";
    assert_eq!(
        err(text),
        "2:12: invalid policy='bad' on <feature>: expected one of force, require, optional, disable, forbid"
    );
    let v = parse_cpus("<pool><cpu><model>a</model><feature name='x'/></cpu></pool>").unwrap();
    assert_eq!(v[0].pos, Pos { line: 1, column: 7 });
    assert_eq!(
        v[0].features[0].pos,
        Pos {
            line: 1,
            column: 28
        }
    );
}

#[test]
fn reading_is_linear_in_the_number_of_features() {
    // 300 000 features on one line (7 MB): every feature's column is counted from the
    // previous one, never from the start of the document.
    let n = 300_000;
    let mut text = String::from("<cpu><model>Haswell</model>");
    for i in 0..n {
        text.push_str(&format!("<feature name='f{i}'/>"));
    }
    text.push_str("</cpu>\n");
    let c = one(&text);
    assert_eq!(c.features.len(), n);
    let last = c.features.last().unwrap();
    assert_eq!(last.name, format!("f{}", n - 1));
    let column = text.rfind("<feature").unwrap() + 1;
    assert_eq!(
        last.pos,
        Pos {
            line: 1,
            column: column as u32
        }
    );
    // the same through the streaming reader and a small buffer
    let streamed: Vec<CpuDef> =
        CpuReader::new(std::io::BufReader::with_capacity(100, text.as_bytes()))
            .collect::<Result<_, _>>()
            .unwrap();
    assert_eq!(streamed, vec![c]);
}

#[test]
fn error_positions_after_a_byte_order_mark() {
    let text = "\u{FEFF}<cpu>\n<model>a</model><feature name='x'/><feature name='x'/></cpu>";
    let expected = "2:36: feature 'x' specified more than once (first at 2:17)";
    assert_eq!(err(text), expected);
    let streamed = CpuReader::new(std::io::BufReader::with_capacity(1, text.as_bytes()))
        .next()
        .unwrap()
        .unwrap_err();
    assert_eq!(streamed.to_string(), expected);
    assert_eq!(
        err("\u{FEFF}  <cpu>\n <model>a</mdel></cpu>"),
        "2:10: expected </model> (opened at 2:2), found </mdel>"
    );
}

#[test]
fn domain_capabilities_and_capabilities_name_their_architecture() {
    let domcaps = "<domainCapabilities><path>/usr/bin/qemu-system-x86_64</path>\
        <domain>kvm</domain><arch>x86_64</arch><cpu>\
        <mode name='host-model' supported='yes'><model fallback='forbid'>Skylake-Client</model>\
        <feature policy='require' name='ss'/></mode></cpu></domainCapabilities>";
    let v = parse_cpus(domcaps).unwrap();
    assert_eq!(v[0].kind, CpuKind::Guest);
    assert_eq!(v[0].arch.as_deref(), Some("x86_64"));
    // libvirt writes no <arch> for a guest: the round trip drops it
    assert_eq!(v[0].normalized().arch, None);
    assert!(!write_cpu(&v[0]).contains("<arch>"));
    let caps =
        "<capabilities><host><cpu><arch>s390x</arch><model>z14</model></cpu></host></capabilities>";
    assert_eq!(parse_cpus(caps).unwrap()[0].arch.as_deref(), Some("s390x"));
}

#[test]
fn inside_a_cpu_the_rules_of_a_standalone_document_hold() {
    // outside the CPU element these pass, inside they do not
    assert!(parse_cpus("<!-- a -- b --><cpu/>").is_ok());
    assert_eq!(
        err("<cpu><!-- a -- b --><model>a</model></cpu>"),
        "1:6: comment contains '--'"
    );
    assert_eq!(
        err("<cpu><model>a\u{1}</model></cpu>"),
        "1:14: character U+0001 is not allowed in XML"
    );
    assert_eq!(
        err("<cpu><model>a</model><q:feature name='x'/></cpu>"),
        "1:23: unknown namespace prefix 'q'"
    );
    // elements in a namespace are not CPU data
    let c =
        one("<cpu xmlns:q='urn:x'><model>a</model><q:feature name='x'/><q:model>b</q:model></cpu>");
    assert_eq!(c.model_name(), Some("a"));
    assert!(c.features.is_empty());
    assert_eq!(
        err("<cpu><model>a]]></model></cpu>"),
        "1:17: ']]>' is not allowed inside a character data"
    );
}

#[test]
fn the_element_size_limit_does_not_depend_on_the_buffer() {
    let limits = Limits {
        max_bytes: 64,
        ..Limits::default()
    };
    let text = format!(
        "<cpus>\n  <cpu><model>{}</model></cpu>\n  <cpu><model>b</model></cpu></cpus>",
        "x".repeat(50)
    );
    for cap in [1, 7, 64, 4096] {
        let e = CpuReader::with_limits(
            std::io::BufReader::with_capacity(cap, text.as_bytes()),
            limits,
        )
        .next()
        .unwrap()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "2:3: <cpu> element is larger than 64 bytes",
            "buffer {cap}"
        );
    }
}

#[test]
fn unbounded_limits_are_accepted() {
    let limits = Limits {
        max_bytes: usize::MAX,
        max_depth: u32::MAX,
        max_elements: usize::MAX,
    };
    let text = "<cpu><model>a</model></cpu>";
    let v: Vec<CpuDef> = CpuReader::with_limits(text.as_bytes(), limits)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(parse_cpus_with(text, &limits).unwrap(), v);
}
