//! Helpers shared by the x86 tests: a toy catalog, the embedded 11.3 engine, test data.
#![allow(dead_code)]
use cpucompat_catalog::{
    Arch, Catalog, Compiled, Decode, Feature, Location, Model, Reg, Signature, Vendor,
};
use cpucompat_x86::X86;
use cpucompat_xml::model::{CpuData, CpuDef};
use std::sync::OnceLock;

/// A file of `tests/data`.
pub fn data(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn dump(cpu: &str) -> CpuData {
    cpucompat_xml::parse_cpudata(&data(&format!("x86_64-cpuid-{cpu}.xml"))).unwrap()
}

pub fn cpus(text: &str) -> Vec<CpuDef> {
    cpucompat_xml::parse_cpus(text).unwrap()
}

pub fn cpu(text: &str) -> CpuDef {
    cpus(text).remove(0)
}

/// The engine over libvirt 11.3's map (the one libvirt's expectations were computed with).
pub fn x86() -> X86 {
    X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone())
}

fn cpuid(leaf: u32, reg: Reg, bit: u8) -> Location {
    Location::Cpuid {
        leaf,
        subleaf: 0,
        reg,
        bit,
    }
}

fn feature(name: &str, location: Location) -> Feature {
    Feature {
        name: name.into(),
        location,
        migratable: name != "invtsc",
        aliases: vec![],
    }
}

fn model(name: &str, vendor: Option<&str>, sig: Option<(u32, u32)>, features: &[&str]) -> Model {
    Model {
        name: name.into(),
        parent: None,
        vendor: vendor.map(Into::into),
        decode: Some(Decode {
            host: true,
            guest: true,
        }),
        check_compat: true,
        signatures: sig
            .map(|(family, model)| Signature {
                family,
                model,
                steppings: vec![].into(),
            })
            .into_iter()
            .collect(),
        features: features.iter().map(|f| f.to_string()).collect(),
        removed: vec![],
        added: vec![],
        pvrs: vec![],
    }
}

/// A toy catalog: 11 features, 5 models.
///
/// | # | model | vendor | signature | features |
/// |---|---|---|---|---|
/// | 0 | generic | – | – | fpu |
/// | 1 | Old | Intel | 6/15 | fpu vme de |
/// | 2 | New | Intel | 6/61 | fpu vme de pse tsc hle rtm (removed: mpx) |
/// | 3 | New-v1 | (New) | (New) | alias of New, decode guest='off' |
/// | 4 | Amd | AMD | 23/1 | fpu vme de msr |
pub fn toy() -> &'static std::sync::Arc<Compiled> {
    static TOY: OnceLock<std::sync::Arc<Compiled>> = OnceLock::new();
    TOY.get_or_init(|| {
        let mut new = model(
            "New",
            Some("Intel"),
            Some((6, 61)),
            &["fpu", "vme", "de", "pse", "tsc", "hle", "rtm"],
        );
        new.removed = vec!["mpx".into()];
        let mut alias = model("New-v1", None, None, &[]);
        alias.parent = Some("New".into());
        alias.decode = Some(Decode {
            host: true,
            guest: false,
        });
        alias.check_compat = false;
        let cat = Catalog {
            arch: Arch::X86,
            source: "toy".into(),
            vendors: vec![
                Vendor {
                    name: "Intel".into(),
                    string: Some("GenuineIntel".into()),
                },
                Vendor {
                    name: "AMD".into(),
                    string: Some("AuthenticAMD".into()),
                },
            ],
            features: vec![
                feature("fpu", cpuid(1, Reg::Edx, 0)),
                feature("vme", cpuid(1, Reg::Edx, 1)),
                feature("de", cpuid(1, Reg::Edx, 2)),
                feature("pse", cpuid(1, Reg::Edx, 3)),
                feature("tsc", cpuid(1, Reg::Edx, 4)),
                feature("msr", cpuid(1, Reg::Edx, 5)),
                feature("hle", cpuid(7, Reg::Ebx, 4)),
                feature("rtm", cpuid(7, Reg::Ebx, 11)),
                feature("mpx", cpuid(7, Reg::Ebx, 14)),
                feature("invtsc", cpuid(0x8000_0007, Reg::Edx, 8)),
                feature(
                    "rdctl-no",
                    Location::Msr {
                        index: 0x10a,
                        reg: Reg::Eax,
                        bit: 0,
                    },
                ),
            ],
            models: vec![
                model("generic", None, None, &["fpu"]),
                model("Old", Some("Intel"), Some((6, 15)), &["fpu", "vme", "de"]),
                new,
                alias,
                model(
                    "Amd",
                    Some("AMD"),
                    Some((23, 1)),
                    &["fpu", "vme", "de", "msr"],
                ),
            ],
        };
        std::sync::Arc::new(Compiled::compile(&cat).unwrap())
    })
}

/// A feature set of the toy (or any) catalog from names.
pub fn set(x86: &X86, names: &[&str]) -> cpucompat_lattice::FeatureSet {
    names
        .iter()
        .map(|n| x86.catalog().feature(n).unwrap())
        .collect()
}

/// `(model, [(policy, feature)])` of a definition, for compact assertions.
pub fn summary(c: &CpuDef) -> (String, Vec<String>) {
    (
        c.model.as_ref().map(|m| m.name.clone()).unwrap_or_default(),
        c.features
            .iter()
            .map(|f| match f.policy {
                Some(p) => format!("{} {}", p.as_str(), f.name),
                None => f.name.clone(),
            })
            .collect(),
    )
}
