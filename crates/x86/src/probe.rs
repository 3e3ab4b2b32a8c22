//! The live CPU: CPUID leaves enumerated the way libvirt's `virCPUx86GetHost` does.
//!
//! Both ranges `0 ..= max` (max from leaf 0) and `0x80000000 ..= max` (from leaf
//! 0x80000000) are read, sub-leaf 0 each, and these leaves get more sub-leaves:
//!
//! | leaf | sub-leaves read |
//! |---|---|
//! | 0x4 | until `eax & 0x1f == 0` (cache descriptors) |
//! | 0x7, 0x14, 0x17 | `1 ..= eax` of sub-leaf 0 |
//! | 0xb | while `ecx & 0xff00 ≠ 0` (topology levels) |
//! | 0xd | 1, then every `n ≥ 2` whose bit is set in XCR0 ∪ XSS (sub-leaf 0 `eax`/`edx`, sub-leaf 1 `ecx`/`edx`) |
//! | 0xf, 0x10 | every `n` whose bit is set in sub-leaf 0 `edx` (0xf) / `ebx` (0x10) |
//! | 0x12 | only with SGX (leaf 7 `ebx` bit 2): 1, then while `eax & 0xf == 1` |
//!
//! Loops are bounded (64 sub-leaves, 256 leaves per range). MSRs are read only when
//! `/dev/cpu/0/msr` is readable (root with the `msr` module): `IA32_CORE_CAPABILITIES`
//! (0xcf), `IA32_ARCH_CAPABILITIES` (0x10a) and the VMX capability MSRs 0x480–0x491.
//!
//! [`HostProbe`] is the host as `virsh capabilities` reads it, with the sources named.
//! libvirt's MSR rule, per MSR index that a catalog feature uses:
//!
//! ```text
//! /dev/cpu/0/msr opens     → its value when the read succeeds, no value otherwise (EIO)
//! else /dev/kvm opens      → KVM_GET_MSRS with one entry: the value of a KVM feature MSR,
//!                            0 for any other index (the kernel processes 0 entries and
//!                            libvirt only checks for a negative return)
//! else                     → no value
//! ```
//!
//! So through KVM only the feature MSRs count, with KVM's synthesized values (KVM hides
//! what it cannot virtualise and sets e.g. `skip-l1dfl-vmentry`), and loading the `msr`
//! module can change the answer on the same machine. [`X86::host_probe_from`] computes
//! this from a [`HostRecord`] (pure), [`X86::host_probe`] from this machine.

use cpucompat_xml::model::CpuData;
use cpucompat_xml::model::CpuDataItem;

use crate::data::Key;
use crate::host_record::{CpuidRow, HostRecord};
use crate::X86;

/// Where a fact about the host came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// The CPUID instruction (always read on x86_64).
    CpuidInstruction,
    /// `/dev/cpu/0/msr`: the processor's own MSR values (root, `msr` module).
    MsrDevice,
    /// `KVM_GET_MSRS` on `/dev/kvm`: KVM's feature MSRs, as KVM presents them.
    KvmFeatureMsrs,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::CpuidInstruction => "cpuid instruction",
            Source::MsrDevice => "/dev/cpu/0/msr",
            Source::KvmFeatureMsrs => "/dev/kvm feature msrs",
        })
    }
}

/// The host's raw CPU data as libvirt reads it, and which sources gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostProbe {
    data: CpuData,
    sources: Vec<Source>,
    skipped: Vec<(Source, String)>,
}

impl HostProbe {
    /// CPUID rows, then one item per MSR that got a value.
    pub fn data(&self) -> &CpuData {
        &self.data
    }

    /// The data, by value.
    pub fn into_data(self) -> CpuData {
        self.data
    }

    /// The sources that were read, in reading order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The MSR sources that could not be read, with the reason (empty when MSRs came
    /// from one of them, or when the catalog has no MSR feature).
    pub fn skipped(&self) -> &[(Source, String)] {
        &self.skipped
    }
}

impl X86 {
    /// The MSR indices this catalog's features live in, in catalog order, each once.
    pub fn msr_indices(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for s in self.slots.iter().flatten() {
            if let Key::Msr(i) = s.key {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        out
    }

    /// This machine as `virsh capabilities` reads it: the CPUID walk plus the catalog's
    /// MSRs by libvirt's rule (module doc). `None` on other architectures.
    pub fn host_probe(&self) -> Option<HostProbe> {
        HostRecord::live().map(|r| self.host_probe_from(&r))
    }

    /// A recorded host as `virsh capabilities` reads it (pure; module doc for the rule).
    pub fn host_probe_from(&self, rec: &HostRecord) -> HostProbe {
        let mut data = rec.cpuid_data();
        let mut sources = vec![Source::CpuidInstruction];
        let mut skipped = Vec::new();
        let indices = self.msr_indices();
        if !indices.is_empty() {
            let push = |items: &mut Vec<CpuDataItem>, index: u32, v: u64| {
                items.push(CpuDataItem::Msr {
                    index,
                    eax: v as u32,
                    edx: (v >> 32) as u32,
                })
            };
            match (&rec.msr_device, &rec.kvm) {
                (Ok(values), _) => {
                    sources.push(Source::MsrDevice);
                    for i in indices {
                        if let Some(&(_, v)) = values.iter().find(|(j, _)| *j == i) {
                            push(&mut data.items, i, v);
                        }
                    }
                }
                (Err(dev), Ok(kvm)) => {
                    skipped.push((Source::MsrDevice, dev.clone()));
                    sources.push(Source::KvmFeatureMsrs);
                    for i in indices {
                        push(&mut data.items, i, kvm.feature_msr(i).unwrap_or(0));
                    }
                }
                (Err(dev), Err(kvm)) => {
                    skipped.push((Source::MsrDevice, dev.clone()));
                    skipped.push((Source::KvmFeatureMsrs, kvm.clone()));
                }
            }
        }
        HostProbe {
            data,
            sources,
            skipped,
        }
    }
}

/// The MSR indices recorded from `/dev/cpu/0/msr`: every index an x86 cpu_map feature
/// uses (libvirt 11.3 and 12.8), and the VMX capability range around them.
pub(crate) const MSR_DEVICE_INDICES: [u32; 20] = [
    0xcf, 0x10a, 0x480, 0x481, 0x482, 0x483, 0x484, 0x485, 0x486, 0x487, 0x488, 0x489, 0x48a,
    0x48b, 0x48c, 0x48d, 0x48e, 0x48f, 0x490, 0x491,
];

/// The CPUID walk of [`probe_host`] as rows; `None` on other architectures.
pub(crate) fn cpuid_rows() -> Option<Vec<CpuidRow>> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut items = Vec::new();
        range(0, &mut items);
        range(0x8000_0000, &mut items);
        Some(
            items
                .into_iter()
                .filter_map(|i| match i {
                    CpuDataItem::Cpuid {
                        leaf,
                        subleaf,
                        regs,
                    } => Some(CpuidRow {
                        leaf,
                        subleaf,
                        regs,
                    }),
                    _ => None,
                })
                .collect(),
        )
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// Reads `indices` from `/dev/cpu/0/msr`: the ones that answered, or why the device
/// could not be opened.
#[cfg(not(unix))]
pub(crate) fn msr_device(_indices: &[u32]) -> Result<Vec<(u32, u64)>, String> {
    Err("no msr device on this system".into())
}

/// Reads `indices` from `/dev/cpu/0/msr`: the ones that answered, or why the device
/// could not be opened.
#[cfg(unix)]
pub(crate) fn msr_device(indices: &[u32]) -> Result<Vec<(u32, u64)>, String> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open("/dev/cpu/0/msr").map_err(|e| crate::kvm::os_reason(&e))?;
    let mut out = Vec::new();
    for &index in indices {
        let mut buf = [0u8; 8];
        if f.read_exact_at(&mut buf, u64::from(index)).is_ok() {
            out.push((index, u64::from_le_bytes(buf)));
        }
    }
    Ok(out)
}

/// The CPU this process runs on, as a dump; `None` on other architectures.
pub fn probe_host() -> Option<CpuData> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut items = Vec::new();
        range(0, &mut items);
        range(0x8000_0000, &mut items);
        items.extend(msrs());
        Some(CpuData {
            arch: "x86".into(),
            items,
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

#[cfg(target_arch = "x86_64")]
fn call(leaf: u32, subleaf: u32) -> [u32; 4] {
    let r = core::arch::x86_64::__cpuid_count(leaf, subleaf);
    [r.eax, r.ebx, r.ecx, r.edx]
}

#[cfg(target_arch = "x86_64")]
fn range(base: u32, items: &mut Vec<CpuDataItem>) {
    const MAX_SUB: u32 = 64;
    let max = call(base, 0)[0].clamp(base, base.saturating_add(0xff));
    let mut push = |leaf: u32, subleaf: u32, regs: [u32; 4]| {
        items.push(CpuDataItem::Cpuid {
            leaf,
            subleaf,
            regs,
        })
    };
    let mut leaf7_ebx = 0;
    for leaf in base..=max {
        let r0 = call(leaf, 0);
        match leaf {
            0x4 => {
                push(leaf, 0, r0);
                let mut r = r0;
                let mut sub = 0;
                while r[0] & 0x1f != 0 && sub < MAX_SUB {
                    sub += 1;
                    r = call(leaf, sub);
                    push(leaf, sub, r);
                }
            }
            0x7 | 0x14 | 0x17 => {
                if leaf == 0x7 {
                    leaf7_ebx = r0[1];
                }
                push(leaf, 0, r0);
                for sub in 1..=r0[0].min(MAX_SUB) {
                    push(leaf, sub, call(leaf, sub));
                }
            }
            0xb => {
                let mut r = r0;
                let mut sub = 0;
                while r[2] & 0xff00 != 0 && sub < MAX_SUB {
                    push(leaf, sub, r);
                    sub += 1;
                    r = call(leaf, sub);
                }
            }
            0xd => {
                push(leaf, 0, r0);
                let r1 = call(leaf, 1);
                push(leaf, 1, r1);
                for sub in 2..64u32 {
                    let set = if sub < 32 {
                        (r0[0] | r1[2]) & (1 << sub) != 0
                    } else {
                        (r0[3] | r1[3]) & (1 << (sub - 32)) != 0
                    };
                    if set {
                        push(leaf, sub, call(leaf, sub));
                    }
                }
            }
            0xf | 0x10 => {
                push(leaf, 0, r0);
                let res = if leaf == 0xf { r0[3] } else { r0[1] };
                for sub in 1..32u32 {
                    if res & (1 << sub) != 0 {
                        push(leaf, sub, call(leaf, sub));
                    }
                }
            }
            0x12 => {
                if leaf7_ebx & (1 << 2) == 0 {
                    continue;
                }
                push(leaf, 0, r0);
                push(leaf, 1, call(leaf, 1));
                let mut sub = 2;
                let mut r = call(leaf, sub);
                while r[0] & 0xf == 1 && sub < MAX_SUB {
                    push(leaf, sub, r);
                    sub += 1;
                    r = call(leaf, sub);
                }
            }
            _ => push(leaf, 0, r0),
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn msrs() -> Vec<CpuDataItem> {
    use std::os::unix::fs::FileExt;
    let Ok(f) = std::fs::File::open("/dev/cpu/0/msr") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for index in std::iter::once(0xcf_u32)
        .chain(std::iter::once(0x10a))
        .chain(0x480..=0x491)
    {
        let mut buf = [0u8; 8];
        if f.read_exact_at(&mut buf, u64::from(index)).is_ok() {
            let v = u64::from_le_bytes(buf);
            out.push(CpuDataItem::Msr {
                index,
                eax: v as u32,
                edx: (v >> 32) as u32,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> HostRecord {
        HostRecord::from_json(include_str!("../../../specs/kvm/intel-spr-pvm/host.json")).unwrap()
    }

    fn msrs(p: &HostProbe) -> Vec<(u32, u32, u32)> {
        p.data()
            .items
            .iter()
            .filter_map(|i| match *i {
                CpuDataItem::Msr { index, eax, edx } => Some((index, eax, edx)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn msrs_come_from_the_device_first_then_from_kvm() {
        let x = X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone());
        let mut indices = x.msr_indices();
        indices.sort_unstable();
        assert_eq!(
            indices,
            [0xcf, 0x10a, 0x480, 0x485, 0x48b, 0x48c, 0x48d, 0x48e, 0x48f, 0x490, 0x491]
        );
        // Through KVM: every catalog index gets a value, 0 unless it is a feature MSR.
        let mut rec = record();
        let p = x.host_probe_from(&rec);
        assert_eq!(
            p.sources(),
            [Source::CpuidInstruction, Source::KvmFeatureMsrs]
        );
        let m = msrs(&p);
        assert_eq!(m.len(), 11);
        assert!(m.contains(&(0x10a, 0x0c00_e16d, 0)));
        assert!(m.contains(&(0xcf, 0, 0)));
        // Through the device: raw values, nothing for an index that did not answer.
        rec.msr_device = Ok(vec![(0x10a, 0x1_0000_0001)]);
        let p = x.host_probe_from(&rec);
        assert_eq!(p.sources(), [Source::CpuidInstruction, Source::MsrDevice]);
        assert_eq!(msrs(&p), [(0x10a, 1, 1)]);
        assert!(p.skipped().is_empty());
        // Neither: CPUID only, and both reasons.
        rec.msr_device = Err("no such file or directory".into());
        rec.kvm = Err("cannot open /dev/kvm: permission denied".into());
        let p = x.host_probe_from(&rec);
        assert_eq!(p.sources(), [Source::CpuidInstruction]);
        assert!(msrs(&p).is_empty());
        let skipped: Vec<String> = p
            .skipped()
            .iter()
            .map(|(s, why)| format!("{s}: {why}"))
            .collect();
        assert_eq!(
            skipped,
            [
                "/dev/cpu/0/msr: no such file or directory",
                "/dev/kvm feature msrs: cannot open /dev/kvm: permission denied"
            ]
        );
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn probe_reads_leaf_0_and_the_extended_range() {
        let d = super::probe_host().unwrap();
        use cpucompat_xml::model::CpuDataItem::Cpuid;
        assert!(matches!(
            d.items[0],
            Cpuid {
                leaf: 0,
                subleaf: 0,
                ..
            }
        ));
        assert!(d.items.iter().any(|i| matches!(
            i,
            Cpuid {
                leaf: 0x8000_0000,
                ..
            }
        )));
    }
}
