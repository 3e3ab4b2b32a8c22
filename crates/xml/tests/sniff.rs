//! Form recognition by reading: every form, byte-order marks, comments that mention other
//! forms, long prologues, stdin-like readers, and reading no further than needed.
use cpucompat_xml::{sniff, sniff_reader, Form, Sniffed};
use std::io::{BufRead, BufReader, Read};

fn xml(root: &str, form: Form, arch: Option<&str>) -> Sniffed {
    Sniffed::Xml {
        root: root.to_string(),
        form,
        arch: arch.map(str::to_string),
    }
}

#[test]
fn every_form_is_named_with_its_architecture() {
    let host = "<cpu>\n  <arch>x86_64</arch>\n  <model>Haswell</model>\n</cpu>\n";
    assert_eq!(
        sniff(host.as_bytes()).unwrap(),
        xml("cpu", Form::Cpu, Some("x86_64"))
    );
    let guest = "<cpu mode='custom'><model>POWER9</model></cpu>";
    assert_eq!(
        sniff(guest.as_bytes()).unwrap(),
        xml("cpu", Form::Cpu, None)
    );
    let caps = "<capabilities><host><uuid>u</uuid><cpu><arch>ppc64le</arch>\
                <model>POWER9</model></cpu></host></capabilities>";
    assert_eq!(
        sniff(caps.as_bytes()).unwrap(),
        xml("capabilities", Form::Capabilities, Some("ppc64le"))
    );
    let domcaps = "<domainCapabilities><path>/usr/bin/qemu-system-s390x</path>\
                   <domain>kvm</domain><machine>s390-ccw-virtio</machine>\
                   <arch>s390x</arch><cpu/></domainCapabilities>";
    assert_eq!(
        sniff(domcaps.as_bytes()).unwrap(),
        xml(
            "domainCapabilities",
            Form::DomainCapabilities,
            Some("s390x")
        )
    );
    let domain = "<domain type='kvm'><name>g</name><os>\
                  <type arch='aarch64' machine='virt'>hvm</type></os><cpu mode='host-passthrough'/></domain>";
    assert_eq!(
        sniff(domain.as_bytes()).unwrap(),
        xml("domain", Form::Domain, Some("aarch64"))
    );
    let dump = "<cpudata arch='x86'>\n  <cpuid eax_in='0x1' ecx_in='0x0' eax='0x1' ebx='0x2' ecx='0x3' edx='0x4'/>\n</cpudata>\n";
    assert_eq!(
        sniff(dump.as_bytes()).unwrap(),
        xml("cpudata", Form::CpuData, Some("x86"))
    );
    let wrapped = "<cpuTest>\n<cpu><arch>s390x</arch><model>z14</model></cpu>\n</cpuTest>";
    let form = Form::Wrapper {
        name: "cpuTest".to_string(),
        first: Some(Box::new(Form::Cpu)),
    };
    assert_eq!(
        sniff(wrapped.as_bytes()).unwrap(),
        xml("cpuTest", form.clone(), Some("s390x"))
    );
    assert_eq!(form.unwrapped(), Some(&Form::Cpu));
    let empty_wrapper = "<hosts/>";
    assert_eq!(
        sniff(empty_wrapper.as_bytes()).unwrap(),
        xml(
            "hosts",
            Form::Wrapper {
                name: "hosts".to_string(),
                first: None
            },
            None
        )
    );
}

#[test]
fn text_forms_and_byte_order_marks() {
    assert_eq!(sniff(b"").unwrap(), Sniffed::NotXml);
    assert_eq!(sniff(b"  \n\t").unwrap(), Sniffed::NotXml);
    let cpuid_r =
        "CPU 0:\n   0x00000000 0x00: eax=0x00000016 ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n";
    assert_eq!(sniff(cpuid_r.as_bytes()).unwrap(), Sniffed::NotXml);
    let cpuinfo = "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n";
    assert_eq!(sniff(cpuinfo.as_bytes()).unwrap(), Sniffed::NotXml);
    // A BOM does not make XML text: the host <cpu> after it is still a host <cpu>.
    let bom = "\u{FEFF}\n<cpu><arch>x86_64</arch><model>Haswell</model></cpu>";
    assert_eq!(
        sniff(bom.as_bytes()).unwrap(),
        xml("cpu", Form::Cpu, Some("x86_64"))
    );
    // A BOM before text is still text; half a BOM is not whitespace.
    assert_eq!(
        sniff("\u{FEFF}CPU 0:\n".as_bytes()).unwrap(),
        Sniffed::NotXml
    );
    assert_eq!(sniff(b"\xEF\xBB<cpu/>").unwrap(), Sniffed::NotXml);
}

#[test]
fn comments_and_processing_instructions_do_not_count() {
    let text = "<?xml version='1.0'?>\n<!-- <cpudata arch='ppc64'> and <arch>s390x</arch> -->\n\
                <?cpu <arch>ppc64</arch> ?>\n\
                <cpu>\n  <!-- <arch>aarch64</arch> -->\n  <arch>x86_64</arch>\n  <model>Haswell</model>\n</cpu>\n";
    assert_eq!(
        sniff(text.as_bytes()).unwrap(),
        xml("cpu", Form::Cpu, Some("x86_64"))
    );
    let guest =
        "<!-- a <cpudata> dump would say <arch>ppc64</arch> -->\n<cpu><model>Haswell</model></cpu>";
    assert_eq!(
        sniff(guest.as_bytes()).unwrap(),
        xml("cpu", Form::Cpu, None)
    );
}

#[test]
fn a_power_host_after_a_100_kib_comment() {
    let mut text = String::from("<?xml version='1.0'?>\n<!--");
    while text.len() < 100 * 1024 {
        text.push_str(" padding <arch>x86_64</arch> <cpudata arch='x86'>\n");
    }
    text.push_str("-->\n<cpu>\n  <arch>ppc64le</arch>\n  <model>POWER10</model>\n</cpu>\n");
    assert_eq!(
        sniff(text.as_bytes()).unwrap(),
        xml("cpu", Form::Cpu, Some("ppc64le"))
    );
    // through a one-byte buffer, as from a pipe
    let slow = BufReader::with_capacity(1, text.as_bytes());
    assert_eq!(
        sniff_reader(slow).unwrap(),
        xml("cpu", Form::Cpu, Some("ppc64le"))
    );
}

/// A reader that counts what it hands out and fails past a limit: sniffing must stop
/// early and never read the whole pool.
struct Meter<'a> {
    inner: BufReader<&'a [u8]>,
    read: usize,
}

impl Read for Meter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n;
        Ok(n)
    }
}

impl BufRead for Meter<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.read += n;
        self.inner.consume(n);
    }
}

#[test]
fn a_pool_is_read_only_up_to_its_first_architecture() {
    let one =
        "<cpu>\n  <arch>x86_64</arch>\n  <model>Haswell</model>\n  <feature name='vmx'/>\n</cpu>\n";
    let mut pool = String::from("<hosts>\n");
    for _ in 0..20_000 {
        pool.push_str(one);
    }
    pool.push_str("</hosts>\n");
    let mut meter = Meter {
        inner: BufReader::with_capacity(64, pool.as_bytes()),
        read: 0,
    };
    let got = sniff_reader(&mut meter).unwrap();
    assert_eq!(
        got,
        xml(
            "hosts",
            Form::Wrapper {
                name: "hosts".to_string(),
                first: Some(Box::new(Form::Cpu))
            },
            Some("x86_64")
        )
    );
    assert!(meter.read < 64 * 1024 + 64, "read {} bytes", meter.read);
    // A pool of guests names no architecture: reading stops at the end of the first one.
    let guests = "<hosts><cpu><model>a</model></cpu><cpu><arch>x86_64</arch></hosts";
    assert_eq!(
        sniff(guests.as_bytes()).unwrap(),
        xml(
            "hosts",
            Form::Wrapper {
                name: "hosts".to_string(),
                first: Some(Box::new(Form::Cpu))
            },
            None
        )
    );
}

#[test]
fn errors_in_the_part_read_are_reported_with_positions() {
    let dtd = "\u{FEFF}<?xml version='1.0'?>\n<!DOCTYPE cpu>\n<cpu/>";
    assert_eq!(
        sniff(dtd.as_bytes()).unwrap_err().to_string(),
        "2:1: doctype and entity declarations are not allowed"
    );
    assert_eq!(
        sniff(b"<cpu><arch>x86_64</arc></cpu>")
            .unwrap_err()
            .to_string(),
        "1:18: expected </arch> (opened at 1:6), found </arc>"
    );
    assert_eq!(
        sniff(b"  <!-- only a comment -->\n")
            .unwrap_err()
            .to_string(),
        "2:1: no XML element found"
    );
}
