//! The upgrade check over the committed catalogs, through the public API: which named
//! models changed between libvirt's cpu_map 11.3 and 12.8 (x86, POWER), and between QEMU
//! 7.2's tables and the newest (s390x, POWER); and what that does to guests on hosts.
#[path = "fleet/corpus.rs"]
mod corpus;

use cpucompat::fleet::{catalog_diff, upgrade_check};
use cpucompat::{Arch, CpuMap, Engine, Qemu};

fn map(arch: Arch, m: CpuMap) -> Engine {
    Engine::builder(arch).cpu_map(m).build().unwrap()
}

fn qemu(arch: Arch, q: Qemu) -> Engine {
    Engine::builder(arch).qemu(q).build().unwrap()
}

#[test]
fn x86_models_of_libvirt_11_3_expand_the_same_in_12_8() {
    let d = catalog_diff(
        &map(Arch::X86, CpuMap::Libvirt11_3),
        &map(Arch::X86, CpuMap::Libvirt12_8),
    )
    .unwrap();
    // No x86 model of 11.3 changed its expansion, none was dropped or renamed ...
    let changed: Vec<&str> = d.changed.iter().map(|c| c.model.as_str()).collect();
    assert_eq!(changed, Vec::<&str>::new());
    assert!(d.dropped.is_empty() && d.renamed.is_empty());
    // ... and 12.8 adds 26, in its index order.
    assert_eq!(
        d.added,
        [
            "SapphireRapids-v4",
            "SapphireRapids-v5",
            "SapphireRapids-v6",
            "GraniteRapids-v3",
            "GraniteRapids-v4",
            "GraniteRapids-v5",
            "SierraForest-v3",
            "SierraForest-v2",
            "SierraForest-v4",
            "SierraForest-v5",
            "ClearwaterForest",
            "ClearwaterForest-v1",
            "ClearwaterForest-v2",
            "ClearwaterForest-v3",
            "DiamondRapids",
            "DiamondRapids-v1",
            "EPYC-v5",
            "EPYC-Rome-v5",
            "EPYC-Milan-v3",
            "EPYC-Genoa-v2",
            "EPYC-Turin",
            "EPYC-Turin-v1",
            "YongFeng",
            "YongFeng-v1",
            "YongFeng-v2",
            "YongFeng-v3",
        ]
    );
    // Backwards, the same 26 are dropped.
    let back = catalog_diff(
        &map(Arch::X86, CpuMap::Libvirt12_8),
        &map(Arch::X86, CpuMap::Libvirt11_3),
    )
    .unwrap();
    assert_eq!(back.dropped, d.added);
    assert!(back.added.is_empty() && back.changed.is_empty());
}

#[test]
fn power_models_change_their_compat_modes_with_qemus_newest_table() {
    let d = catalog_diff(
        &qemu(Arch::Ppc64, Qemu::V7_2),
        &qemu(Arch::Ppc64, Qemu::Newest),
    )
    .unwrap();
    let changed: Vec<(&str, &[String])> = d
        .changed
        .iter()
        .map(|c| (c.model.as_str(), c.details.as_slice()))
        .collect();
    assert_eq!(
        changed,
        [
            (
                "POWER8",
                &["compat_modes: power6 power7 power7+ power8 → power6 power7 power8".to_string()][..]
            ),
            (
                "POWER9",
                &["compat_modes: power6 power7 power7+ power8 power9 → power6 power7 power8 power9".to_string()][..]
            ),
            (
                "POWER10",
                &["compat_modes: power6 power7 power7+ power8 power9 power10 → power6 power7 power8 power9 power10".to_string()][..]
            ),
            (
                "POWER11",
                &[
                    "compat_modes: (none) → power6 power7 power8 power9 power10 power11".to_string(),
                    "family: (none) → POWER11".to_string()
                ][..]
            ),
        ]
    );
    let m = catalog_diff(
        &map(Arch::Ppc64, CpuMap::Libvirt11_3),
        &map(Arch::Ppc64, CpuMap::Libvirt12_8),
    )
    .unwrap();
    assert_eq!(m.added, ["POWER11"]);
    assert!(m.changed.is_empty() && m.dropped.is_empty());
}

#[test]
fn s390x_newest_adds_the_gen17_models() {
    let d = catalog_diff(
        &qemu(Arch::S390x, Qemu::V7_2),
        &qemu(Arch::S390x, Qemu::Newest),
    )
    .unwrap();
    assert_eq!(d.added, ["gen17a-base", "gen17a", "gen17b-base", "gen17b"]);
    assert!(d.dropped.is_empty() && d.changed.is_empty());
}

#[test]
fn a_guest_of_a_new_model_is_invalid_on_the_old_map_and_guests_keep_their_hosts() {
    let dir = corpus::root().join("specs/cases/fleet/data");
    let guests = [
        dir.join("guest-epyc-turin.xml"),
        corpus::root().join("specs/cases/x86/data/x86_64-Haswell.xml"),
    ];
    let hosts = [
        corpus::root().join("specs/cases/x86/data/x86_64-cpuid-Core-i7-4600U-host.xml"),
        corpus::root().join("specs/cases/x86/data/x86_64-cpuid-Xeon-E5-2630-v3.xml"),
    ];
    let down = upgrade_check(
        &map(Arch::X86, CpuMap::Libvirt12_8),
        &map(Arch::X86, CpuMap::Libvirt11_3),
        &guests,
        &hosts,
    )
    .unwrap();
    assert_eq!(down.guests[0].status, "invalid");
    assert!(down.guests[0]
        .invalid_after
        .as_deref()
        .unwrap()
        .ends_with("unknown CPU model EPYC-Turin"));
    assert!(!down.all_well());
    let up = upgrade_check(
        &map(Arch::X86, CpuMap::Libvirt11_3),
        &map(Arch::X86, CpuMap::Libvirt12_8),
        &guests[1..],
        &hosts,
    )
    .unwrap();
    let g = &up.guests[0];
    assert_eq!(g.status, "ok");
    assert_eq!(g.before.starts, 2);
    assert_eq!(g.after.unwrap().starts, 2);
    assert!(up.all_well());
}
