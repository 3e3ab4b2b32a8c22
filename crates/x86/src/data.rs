//! Raw x86 CPU data: CPUID leaves and MSRs, and how catalog features sit in them.
//!
//! A dump is a map `(leaf, sub-leaf) → [eax, ebx, ecx, edx]` plus `MSR index → [eax, edx]`;
//! repeated keys are OR-ed together, as libvirt's `virCPUx86DataAdd` does. Every catalog
//! feature is exactly one bit of one register of one key, so reading a dump is a projection
//! onto the catalog's universe and writing one is its inverse on that universe:
//!
//! ```text
//! features(data) = { f | data[key(f)][reg(f)] & mask(f) ≠ 0 }
//! features(encode(S)) = S            for every S ⊆ catalog features
//! ```
//!
//! Three things are read besides features:
//!
//! * the **vendor**: leaf 0's `ebx, edx, ecx` spell the 12-byte vendor string
//!   (`GenuineIntel`, bytes 0–3 in ebx, 4–7 in edx, 8–11 in ecx), matched against the
//!   catalog's vendor strings; no match means "no vendor";
//! * the **signature**: leaf 1's eax masked with `0x0fff3fff` (the reserved bits 14–15 and
//!   28–31 cleared; the processor-type bits 12–13 are kept), 0 when leaf 1 is absent;
//!
//!   ```text
//!   family   = ((sig >> 20) & 0xff) + ((sig >> 8) & 0xf)
//!   model    = ((sig >> 12) & 0xf0) + ((sig >> 4) & 0xf)
//!   stepping =   sig & 0xf
//!   ```
//! * the **TSX erratum**: an Intel CPU of family 6 whose model is 60, 69 or 70 (any
//!   stepping), or 63 with stepping below 4, has broken TSX; `hle` and `rtm` are cleared
//!   from its features before any model is tried (libvirt's `x86DataFilterTSX`).
use std::collections::BTreeMap;

use cpucompat_catalog::{Location, Reg};
use cpucompat_lattice::FeatureSet;
use cpucompat_xml::model::{CpuData, CpuDataItem};

use crate::{X86Error, X86};

/// libvirt's `SIGNATURE_MASK`.
pub const SIGNATURE_MASK: u32 = 0x0fff_3fff;

/// Where raw data lives: a CPUID (leaf, sub-leaf) or an MSR index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key {
    Cpuid(u32, u32),
    Msr(u32),
}

/// One feature's place: key, register slot (0..4 for CPUID eax..edx; 0 eax, 1 edx for MSRs)
/// and mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub key: Key,
    pub reg: usize,
    pub mask: u32,
}

impl Slot {
    pub(crate) fn of(loc: &Location) -> Option<Slot> {
        match *loc {
            Location::Cpuid {
                leaf,
                subleaf,
                reg,
                bit,
            } if bit < 32 => Some(Slot {
                key: Key::Cpuid(leaf, subleaf),
                reg: match reg {
                    Reg::Eax => 0,
                    Reg::Ebx => 1,
                    Reg::Ecx => 2,
                    Reg::Edx => 3,
                },
                mask: 1 << bit,
            }),
            Location::Msr { index, reg, bit } if bit < 32 => Some(Slot {
                key: Key::Msr(index),
                reg: if reg == Reg::Edx { 1 } else { 0 },
                mask: 1 << bit,
            }),
            _ => None,
        }
    }
}

/// A dump's items as `(key, registers)`; MSRs use slots 0 (eax) and 1 (edx). Other
/// architectures' data is refused.
pub(crate) fn items(
    data: &CpuData,
) -> Result<impl Iterator<Item = (Key, [u32; 4])> + '_, X86Error> {
    if !data.arch.is_empty() && !matches!(data.arch.as_str(), "x86" | "x86_64" | "i686") {
        return Err(X86Error::DataArch(data.arch.clone()));
    }
    if data
        .items
        .iter()
        .any(|i| matches!(i, CpuDataItem::Pvr { .. }))
    {
        return Err(X86Error::DataArch("ppc64".into()));
    }
    Ok(data.items.iter().filter_map(|item| match *item {
        CpuDataItem::Cpuid {
            leaf,
            subleaf,
            regs,
        } => Some((Key::Cpuid(leaf, subleaf), regs)),
        CpuDataItem::Msr { index, eax, edx } => Some((Key::Msr(index), [eax, edx, 0, 0])),
        CpuDataItem::Pvr { .. } => None,
    }))
}

/// What decode needs from a dump: the catalog features, the vendor and the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Detected {
    pub features: FeatureSet,
    pub vendor: Option<usize>,
    /// Masked leaf-1 eax; 0 when unknown (the signature rule is then inert).
    pub signature: u32,
}

/// Family, model and stepping from a CPUID leaf-1 eax.
pub fn signature_fields(sig: u32) -> (u32, u32, u32) {
    let family = ((sig >> 20) & 0xff) + ((sig >> 8) & 0xf);
    let model = ((sig >> 12) & 0xf0) + ((sig >> 4) & 0xf);
    (family, model, sig & 0xf)
}

/// The CPUID leaf-1 eax of a family, model and stepping (libvirt's `x86MakeSignature`).
pub fn make_signature(family: u32, model: u32, stepping: u32) -> u32 {
    let mut sig = 0;
    let mut family = family;
    if family > 0xf {
        sig |= ((family - 0xf) & 0xff) << 20;
        family = 0xf;
    }
    sig |= family << 8;
    sig |= ((model >> 4) & 0xf) << 16;
    sig |= (model & 0xf) << 4;
    sig |= stepping & 0xf;
    sig
}

/// The vendor string of leaf 0 as its three registers `(ebx, edx, ecx)`.
pub(crate) fn vendor_regs(s: &str) -> Option<[u32; 3]> {
    let b = s.as_bytes();
    if b.len() != 12 {
        return None;
    }
    let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    Some([w(0), w(4), w(8)])
}

impl X86 {
    /// Reads a dump: catalog features (an item repeated under one key counts as the OR of
    /// its copies), vendor, signature, then the TSX erratum.
    pub(crate) fn detect(&self, data: &CpuData) -> Result<Detected, X86Error> {
        let mut features = FeatureSet::EMPTY;
        let mut leaf0 = [0u32; 3];
        let mut eax1 = None::<u32>;
        for (key, regs) in items(data)? {
            if let Some(slots) = self.by_key().get(&key) {
                for &(reg, mask, bit) in slots {
                    if regs[reg] & mask != 0 {
                        features.insert(bit);
                    }
                }
            }
            match key {
                Key::Cpuid(0, 0) => {
                    leaf0[0] |= regs[1];
                    leaf0[1] |= regs[3];
                    leaf0[2] |= regs[2];
                }
                Key::Cpuid(1, 0) => *eax1.get_or_insert(0) |= regs[0],
                _ => {}
            }
        }
        let vendor = self.vendor_regs.iter().position(|v| *v == Some(leaf0));
        let signature = eax1.map_or(0, |e| e & SIGNATURE_MASK);
        if vendor.is_some() && vendor == self.intel && signature != 0 {
            let (family, model, stepping) = signature_fields(signature);
            if family == 6 && (matches!(model, 60 | 69 | 70) || (model == 63 && stepping < 4)) {
                features -= self.tsx;
            }
        }
        Ok(Detected {
            features,
            vendor,
            signature,
        })
    }

    /// Raw data holding exactly `features`, the vendor's leaf 0 (when the vendor has a
    /// string) and, when given, leaf 1's signature.
    pub fn encode(
        &self,
        features: &FeatureSet,
        vendor: Option<&str>,
        signature: Option<u32>,
    ) -> CpuData {
        let mut raw: BTreeMap<Key, [u32; 4]> = BTreeMap::new();
        for b in features {
            if let Some(Some(slot)) = self.slots.get(b.index()) {
                raw.entry(slot.key).or_default()[slot.reg] |= slot.mask;
            }
        }
        if let Some(regs) = vendor
            .and_then(|v| self.cat.vendor(v))
            .and_then(|i| self.vendor_regs[i])
        {
            let e = raw.entry(Key::Cpuid(0, 0)).or_default();
            e[1] = regs[0];
            e[3] = regs[1];
            e[2] = regs[2];
        }
        if let Some(sig) = signature {
            raw.entry(Key::Cpuid(1, 0)).or_default()[0] = sig;
        }
        CpuData {
            arch: "x86".into(),
            items: raw
                .iter()
                .map(|(k, r)| match *k {
                    Key::Cpuid(leaf, subleaf) => CpuDataItem::Cpuid {
                        leaf,
                        subleaf,
                        regs: *r,
                    },
                    Key::Msr(index) => CpuDataItem::Msr {
                        index,
                        eax: r[0],
                        edx: r[1],
                    },
                })
                .collect(),
        }
    }

    /// The features decode works from: the dump's catalog features, minus `hle` and `rtm`
    /// when the TSX erratum applies to the dump's vendor and signature.
    ///
    /// # Errors
    /// As [`X86::data_features`], and a dump whose vendor or signature cannot be read.
    pub fn read_features(&self, data: &CpuData) -> Result<FeatureSet, X86Error> {
        Ok(self.detect(data)?.features)
    }

    /// The catalog features whose bit is set in a dump (no vendor or TSX processing).
    ///
    /// # Errors
    /// A dump item that is not x86 CPUID or MSR data.
    pub fn data_features(&self, data: &CpuData) -> Result<FeatureSet, X86Error> {
        let mut features = FeatureSet::EMPTY;
        for (key, regs) in items(data)? {
            for &(reg, mask, bit) in self.by_key().get(&key).map_or(&[][..], Vec::as_slice) {
                if regs[reg] & mask != 0 {
                    features.insert(bit);
                }
            }
        }
        Ok(features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trips_through_leaf_1() {
        for (f, m, s) in [(6, 85, 4), (23, 1, 2), (21, 16, 1), (15, 6, 8), (25, 17, 0)] {
            assert_eq!(signature_fields(make_signature(f, m, s)), (f, m, s));
        }
        // Xeon Gold 6148's leaf 1 eax, from its dump.
        assert_eq!(signature_fields(0x0005_0654), (6, 85, 4));
        // EPYC 7601: family 0xf + extended 8.
        assert_eq!(signature_fields(0x0080_0f12), (23, 1, 2));
    }

    #[test]
    fn vendor_string_spans_ebx_edx_ecx() {
        assert_eq!(
            vendor_regs("GenuineIntel"),
            Some([0x756e_6547, 0x4965_6e69, 0x6c65_746e])
        );
        assert_eq!(vendor_regs("short"), None);
    }
}
