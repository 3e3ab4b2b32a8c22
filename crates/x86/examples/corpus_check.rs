//! One-off check against libvirt's CPUID test corpus (not run by tests; reads a directory
//! given on the command line, e.g. a copy of libvirt 11.3's `tests/cputestdata`).
//!
//! For every `x86_64-cpuid-<CPU>.xml` dump with `-host.xml` / `-guest.xml` expectations it
//! decodes the dump as host and as guest with the embedded libvirt 11.3 catalog (the guest
//! decode with QEMU's model list from `<CPU>.json` for the CPUs libvirt's test registers as
//! `JSON_MODELS*`) and compares model, vendor, signature and the ordered feature list.
//! Then the CPUID baselines `x86_64-cpuid-baseline-<A>+<B>.xml`.
//!
//! Usage: `cargo run -p cpucompat-x86 --example corpus_check -- DIR`
use std::path::Path;

use cpucompat_x86::{BaselineOptions, HypervisorModels, X86};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind};

const JSON_MODELS: [&str; 18] = [
    "Core-i5-2540M",
    "Core-i7-7700",
    "Core-i7-8550U",
    "Core-i7-8700",
    "Xeon-E3-1225-v5",
    "Xeon-E5-2609-v3",
    "Xeon-E5-2623-v4",
    "Xeon-E5-2650",
    "Xeon-E5-2650-v4",
    "Xeon-E7540",
    "Xeon-Gold-6130",
    "Xeon-Platinum-9242",
    "Ice-Lake-Server",
    "Cooperlake",
    "Core-i5-650",
    "Core-i7-2600-xsaveopt",
    "EPYC-7601-32-Core-ibpb",
    "Xeon-E7-4830",
];

fn cpudata(text: &str) -> CpuData {
    cpucompat_xml::parse_cpudata(text).unwrap()
}

fn cpus(text: &str) -> Vec<CpuDef> {
    cpucompat_xml::parse_cpus(text).unwrap()
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: corpus_check DIR");
    let dir = Path::new(&dir);
    let x86 = X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            let cpu = n.strip_prefix("x86_64-cpuid-")?.strip_suffix("-host.xml")?;
            Some(cpu.to_string())
        })
        .collect();
    names.sort();
    let (mut host_ok, mut guest_ok, mut sig_ok) = (0, 0, 0);
    for name in &names {
        let read = |suffix: &str| {
            std::fs::read_to_string(dir.join(format!("x86_64-cpuid-{name}{suffix}")))
        };
        let data = cpudata(&read(".xml").unwrap());
        let hv = if JSON_MODELS.contains(&name.as_str()) {
            Some(HypervisorModels::from_qmp_json(&read(".json").unwrap()).unwrap())
        } else {
            None
        };
        let host = x86.decode(&data, CpuKind::Host, None).unwrap();
        let want = read("-host.xml").unwrap();
        if cpucompat_xml::write_cpu(&host) == want {
            host_ok += 1;
        } else {
            println!(
                "HOST {name}\n got {}\nwant {want}",
                cpucompat_xml::write_cpu(&host)
            );
        }
        let guest = x86.decode(&data, CpuKind::Guest, hv.as_ref()).unwrap();
        let want = read("-guest.xml").unwrap();
        if cpucompat_xml::write_cpu(&guest) == want {
            guest_ok += 1;
        } else {
            println!(
                "GUEST {name}\n got {}\nwant {want}",
                cpucompat_xml::write_cpu(&guest)
            );
        }
        if let (Some(s), Ok(sig)) = (host.signature, read(".sig")) {
            let hex = sig.lines().next().unwrap_or_default().trim();
            let eax = cpucompat_x86::make_signature(s.family, s.model, s.stepping.unwrap_or(0));
            let got = u32::from_str_radix(hex, 16).unwrap() & !0x3000;
            if eax == got {
                sig_ok += 1;
            } else {
                println!("SIG {name}: {hex} vs {eax:06x}");
            }
        }
    }
    println!(
        "decode: host {host_ok}/{n}, guest {guest_ok}/{n}, signature {sig_ok}/{n}",
        n = names.len()
    );
    let pairs = [
        (
            "Haswell-noTSX-IBRS+Skylake",
            "Xeon-E5-2609-v3",
            "Xeon-Gold-6148",
        ),
        (
            "Haswell-noTSX-IBRS+Skylake-IBRS",
            "Xeon-E5-2609-v3",
            "Xeon-Gold-6130",
        ),
        (
            "Broadwell-IBRS+Cascadelake",
            "Xeon-E5-2623-v4",
            "Xeon-Platinum-8268",
        ),
        (
            "Cascadelake+Skylake-IBRS",
            "Xeon-Platinum-8268",
            "Xeon-Gold-6130",
        ),
        (
            "Cascadelake+Skylake",
            "Xeon-Platinum-9242",
            "Xeon-Gold-6148",
        ),
        (
            "Cascadelake+Icelake",
            "Xeon-Platinum-9242",
            "Ice-Lake-Server",
        ),
        ("Cooperlake+Icelake", "Cooperlake", "Ice-Lake-Server"),
        ("Cooperlake+Cascadelake", "Cooperlake", "Xeon-Platinum-9242"),
        (
            "Haswell-noTSX-IBRS+Broadwell",
            "Xeon-E5-2609-v3",
            "Xeon-E5-2650-v4",
        ),
    ];
    let mut base_ok = 0;
    let load = |f: &str| cpus(&std::fs::read_to_string(dir.join(f)).unwrap());
    for (label, a, b) in pairs {
        let mut input = load(&format!("x86_64-cpuid-{a}-json.xml"));
        input.extend(load(&format!("x86_64-cpuid-{b}-json.xml")));
        let got = x86.baseline(&input, &BaselineOptions::default()).unwrap();
        let want = std::fs::read_to_string(dir.join(format!("x86_64-cpuid-baseline-{label}.xml")))
            .unwrap();
        if cpucompat_xml::write_cpu(&got) == want {
            base_ok += 1;
        } else {
            println!(
                "CPUID BASELINE {label}\n got {}\nwant {want}",
                cpucompat_xml::write_cpu(&got)
            );
        }
        for c in &input {
            let r = x86.compare(c, &got).unwrap().result;
            assert_ne!(r, cpucompat_x86::Relation::Incompatible, "{label}");
        }
    }
    println!("cpuid baselines {base_ok}/{}", pairs.len());
    let mut ok = 0;
    let mut total = 0;
    for (test, suffix, expand, migratable) in [
        ("no-vendor", "result", false, false),
        ("some-vendors", "result", false, false),
        ("simple", "result", false, false),
        ("simple", "expanded", true, false),
        ("features", "result", false, false),
        ("features", "expanded", true, false),
        ("Westmere+Nehalem", "result", false, false),
        ("Westmere+Nehalem", "migratable", false, true),
    ] {
        total += 1;
        let input = load(&format!("x86_64-baseline-{test}.xml"));
        let opts = BaselineOptions {
            expand_features: expand,
            migratable,
            hypervisor: None,
        };
        let got = x86.baseline(&input, &opts).unwrap();
        let text =
            std::fs::read_to_string(dir.join(format!("x86_64-baseline-{test}-{suffix}.xml")))
                .unwrap();
        if cpucompat_xml::write_cpu(&got) == text {
            ok += 1;
        } else {
            println!(
                "BASELINE {test}-{suffix}\n got {}\nwant {text}",
                cpucompat_xml::write_cpu(&got)
            );
        }
        for c in &input {
            let r = x86.compare(c, &got).unwrap().result;
            assert_ne!(r, cpucompat_x86::Relation::Incompatible, "{test}");
        }
    }
    let err = x86
        .baseline(
            &load("x86_64-baseline-incompatible-vendors.xml"),
            &BaselineOptions::default(),
        )
        .unwrap_err();
    println!("incompatible-vendors: {err}");
    println!("baselines {ok}/{total}");
    let cases = [
        ("host", "host", "Identical"),
        ("host", "host-better", "Incompatible"),
        ("host", "host-worse", "Superset"),
        ("host", "host-amd-fake", "Incompatible"),
        ("host", "host-incomp-arch", "Incompatible"),
        ("host", "host-no-vendor", "Identical"),
        ("host-no-vendor", "host", "Incompatible"),
        ("host", "bogus-model", "error"),
        ("host", "bogus-feature", "error"),
        ("host", "min", "Superset"),
        ("host", "pentium3", "Superset"),
        ("host", "exact", "Superset"),
        ("host", "exact-forbid", "Incompatible"),
        ("host", "exact-forbid-extra", "Superset"),
        ("host", "exact-disable", "Superset"),
        ("host", "exact-disable2", "Superset"),
        ("host", "exact-disable-extra", "Superset"),
        ("host", "exact-require", "Superset"),
        ("host", "exact-require-extra", "Incompatible"),
        ("host", "exact-force", "Superset"),
        ("host", "strict", "Incompatible"),
        ("host", "strict-full", "Identical"),
        ("host", "strict-disable", "Identical"),
        ("host", "strict-force-extra", "Identical"),
        ("host", "guest", "Superset"),
        ("host", "pentium3-amd", "Incompatible"),
        ("host-amd", "pentium3-amd", "Superset"),
        ("host-worse", "penryn-force", "Identical"),
        ("host-SandyBridge", "exact-force-Haswell", "Identical"),
    ];
    let mut cmp_ok = 0;
    for (h, g, want) in cases {
        let host = &load(&format!("x86_64-{h}.xml"))[0];
        let guest = &load(&format!("x86_64-{g}.xml"))[0];
        let got = match x86.compare(host, guest) {
            Ok(c) => format!("{:?}", c.result),
            Err(_) => "error".to_string(),
        };
        if got == want {
            cmp_ok += 1;
        } else {
            println!("COMPARE {h} {g}: got {got} want {want}");
        }
    }
    println!("compare {cmp_ok}/{}", cases.len());
    let updates = [
        ("host", "min", "Identical"),
        ("host", "pentium3", "Identical"),
        ("host", "guest", "Superset"),
        ("host", "host-model", "Identical"),
        ("host", "host-model-nofallback", "Identical"),
        ("host-invtsc", "host-model", "Superset"),
        ("host", "host-passthrough", ""),
        ("host", "host-passthrough-features", ""),
    ];
    let mut upd_ok = 0;
    for (h, g, want) in updates {
        let host = &load(&format!("x86_64-{h}.xml"))[0];
        let guest = &load(&format!("x86_64-{g}.xml"))[0];
        let updated = x86.update(guest, &x86.copy_migratable(host)).unwrap();
        let text = cpucompat_xml::write_cpu(&updated);
        let expected = std::fs::read_to_string(dir.join(format!("x86_64-{h}+{g}.xml"))).unwrap();
        let result = if want.is_empty() {
            String::new()
        } else {
            format!("{:?}", x86.compare(host, &updated).unwrap().result)
        };
        if text == expected && result == want {
            upd_ok += 1;
        } else {
            println!("UPDATE {h}+{g}: {result} want {want}\n got {text}\nwant {expected}");
        }
    }
    println!("update {upd_ok}/{}", updates.len());
    let lists: [(&str, &[&str]); 4] = [
        ("model486", &["486"]),
        ("nomodel", &["nomodel"]),
        ("models", &["qemu64", "core2duo", "Nehalem"]),
        ("haswell", &["SandyBridge", "Haswell"]),
    ];
    let list = |n: &str| {
        lists.iter().find(|l| l.0 == n).map(|l| {
            HypervisorModels::new(l.1.iter().map(|m| (m.to_string(), Vec::<String>::new())))
        })
    };
    let guestcpu: [(&str, &str, Option<&str>, bool); 15] = [
        ("host", "guest", None, true),
        ("host", "guest", Some("model486"), true),
        ("host", "guest", Some("models"), true),
        ("host", "guest", Some("nomodel"), false),
        ("host", "guest-nofallback", Some("models"), false),
        ("host", "host+host-model", Some("models"), true),
        ("host", "host+host-model-nofallback", Some("models"), false),
        ("host-Haswell-noTSX", "Haswell", Some("haswell"), true),
        ("host-Haswell-noTSX", "Haswell-noTSX", Some("haswell"), true),
        (
            "host-Haswell-noTSX",
            "Haswell-noTSX-nofallback",
            Some("haswell"),
            false,
        ),
        ("host-Haswell-noTSX", "Haswell-noTSX", None, true),
        ("host-worse", "guest", None, true),
        ("host-better", "pentium3", None, true),
        ("host", "penryn-force", None, true),
        ("host", "strict-force-extra", None, true),
    ];
    let mut gc_ok = 0;
    for (h, g, models, ok) in guestcpu {
        let host = &load(&format!("x86_64-{h}.xml"))[0];
        let guest = &load(&format!("x86_64-{g}.xml"))[0];
        let run = || -> Result<CpuDef, String> {
            let c = x86.compare(host, guest).map_err(|e| e.to_string())?;
            if c.result == cpucompat_x86::Relation::Incompatible {
                return Err(c.reasons.join("; "));
            }
            let u = x86.update(guest, host).map_err(|e| e.to_string())?;
            match models.and_then(list) {
                Some(l) => x86.translate(&u, &l).map_err(|e| e.to_string()),
                None => Ok(u),
            }
        };
        let label = match models {
            Some(m) => format!("{h}+{g},{m}"),
            None => format!("{h}+{g}"),
        };
        match (run(), ok) {
            (Ok(cpu), true) => {
                let want = std::fs::read_to_string(dir.join(format!("x86_64-{label}-result.xml")))
                    .unwrap();
                let got = cpucompat_xml::write_cpu(&cpu);
                if got == want {
                    gc_ok += 1;
                } else {
                    println!("GUESTCPU {label}\n got {got}\nwant {want}");
                }
            }
            (Err(e), false) => {
                println!("guestcpu {label}: expected failure: {e}");
                gc_ok += 1;
            }
            (r, _) => println!("GUESTCPU {label}: {r:?}, expected ok={ok}"),
        }
    }
    println!("guestcpu {gc_ok}/{}", guestcpu.len());
    let (mut json_ok, mut json_n) = (0, 0);
    for name in &names {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("x86_64-cpuid-{name}.json")))
        else {
            continue;
        };
        let Ok(want) = std::fs::read_to_string(dir.join(format!("x86_64-cpuid-{name}-json.xml")))
        else {
            continue;
        };
        json_n += 1;
        let hv = if JSON_MODELS.contains(&name.as_str()) {
            Some(HypervisorModels::from_qmp_json(&text).unwrap())
        } else {
            None
        };
        let data = x86.qmp_expansion_data(&text).unwrap();
        let got =
            cpucompat_xml::write_cpu(&x86.decode(&data, CpuKind::Guest, hv.as_ref()).unwrap());
        if got == want {
            json_ok += 1;
        } else {
            println!("JSON {name}\n got {got}\nwant {want}");
        }
    }
    println!("json host-model {json_ok}/{json_n}");
}
