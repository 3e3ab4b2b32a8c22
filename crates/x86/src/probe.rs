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

use cpucompat_xml::model::CpuData;
#[cfg(target_arch = "x86_64")]
use cpucompat_xml::model::CpuDataItem;

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
