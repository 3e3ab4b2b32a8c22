//! A host, recorded: everything libvirt and QEMU read about an x86 machine to describe its
//! CPU (the CPUID instruction, `/dev/kvm`'s answers, `/dev/cpu/0/msr`, `/proc/cpuinfo`),
//! as one plain value, [`HostRecord`], read live ([`HostRecord::live`]) or from a JSON
//! file ([`HostRecord::from_json`]), and written back ([`HostRecord::to_json`]).
//!
//! Every decision about the host (its CPU as `virsh capabilities` shows it, its KVM
//! host-model as `virsh domcapabilities` shows it) is a pure function of this value, so a
//! recorded machine is tested exactly like a live one.
//!
//! ## The file format
//!
//! One JSON object; the keys follow the reference replay files. Hex numbers are strings,
//! with or without `0x`; CPUID registers are written as 8 digits without `0x`.
//!
//! | key | value |
//! |---|---|
//! | `about` | optional free text: which machine, kernel, KVM module |
//! | `raw_cpuid_libvirt_walk` | the CPUID instruction, libvirt's walk: rows `[leaf, subleaf, eax, ebx, ecx, edx]` |
//! | `kvm_supported_cpuid` | `KVM_GET_SUPPORTED_CPUID`: rows `[function, index, flags (number), eax, ebx, ecx, edx]` |
//! | `kvm_feature_msr_index_list` | `KVM_GET_MSR_FEATURE_INDEX_LIST`: `["0x10a", ...]` |
//! | `kvm_feature_msrs` | `KVM_GET_MSRS` of each listed index that answered: `{"0x10a": "0xc00e16d"}` |
//! | `kvm_msr_index_list` | `KVM_GET_MSR_INDEX_LIST` |
//! | `kvm_caps` | `KVM_CHECK_EXTENSION` results by name: `TSC_DEADLINE_TIMER`, `SYS_ATTRIBUTES` are used, others kept for the reader |
//! | `kvm_xcomp_guest_supp`, `kvm_mce_cap_supported` | hex or `null` (not read) |
//! | `kvm_tsc_khz` | number or `null` (informational) |
//! | `kvm_unavailable` | instead of the `kvm_*` answers: why `/dev/kvm` was not read |
//! | `msr_device` | `/dev/cpu/0/msr`: `{"0x10a": "0x..."}` for the indices that answered, or `null` |
//! | `msr_device_unavailable` | why `/dev/cpu/0/msr` was not read |
//! | `proc_cpuinfo` | `{"microcode": "0x1", "address_sizes_physical": 48}` (either may be absent) |
//!
//! The `kvm_*` answers are present together (`kvm_supported_cpuid` is required with any
//! of them) or not at all. Unknown keys are refused, so a misspelt key is an error, not a
//! silently missing answer.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use cpucompat_xml::model::{CpuData, CpuDataItem, Pos};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::kvm::{KvmAnswers, KvmCpuidEntry};
use crate::X86Error;

/// One CPUID instruction result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuidRow {
    /// `eax` input.
    pub leaf: u32,
    /// `ecx` input.
    pub subleaf: u32,
    /// `eax, ebx, ecx, edx`.
    pub regs: [u32; 4],
}

/// What was read about one host (see the module doc for the file format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostRecord {
    /// Free text: which machine.
    pub about: String,
    /// The CPUID instruction, libvirt's walk (`probe` module).
    pub cpuid: Vec<CpuidRow>,
    /// `/dev/kvm`'s answers, or why they could not be read.
    pub kvm: Result<KvmAnswers, String>,
    /// `/dev/cpu/0/msr`: the indices that answered and their values, or why the device
    /// could not be read.
    pub msr_device: Result<Vec<(u32, u64)>, String>,
    /// `/proc/cpuinfo`'s `microcode`.
    pub microcode: Option<u64>,
    /// `/proc/cpuinfo`'s `address sizes: N bits physical`.
    pub phys_bits: Option<u32>,
    /// `KVM_GET_TSC_KHZ` of a throw-away vCPU, when recorded (informational).
    pub tsc_khz: Option<u64>,
}

impl Default for HostRecord {
    /// An empty record: no CPUID rows, no source recorded.
    fn default() -> HostRecord {
        HostRecord {
            about: String::new(),
            cpuid: Vec::new(),
            kvm: Err("not recorded".into()),
            msr_device: Err("not recorded".into()),
            microcode: None,
            phys_bits: None,
            tsc_khz: None,
        }
    }
}

/// The errors of the host layer: a bad record file, a missing answer, a bad QEMU table, or
/// the x86 adapter's own error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// A record file that is not JSON or not the documented shape.
    #[error("invalid host record: {message}")]
    Record {
        /// What was wrong.
        message: String,
        /// Line and column in the file, when known.
        pos: Option<Pos>,
    },
    /// The computation needs `/dev/kvm`'s answers and the record has none.
    #[error("no kvm answers: {0}")]
    NoKvm(String),
    /// The CPUID instruction dump is empty.
    #[error("no cpuid rows in the host record")]
    NoCpuid,
    /// The embedded QEMU table does not load (a build-time mistake, tested).
    #[error("bad qemu x86 table: {0}")]
    Table(String),
    /// The x86 adapter refused the data.
    #[error(transparent)]
    X86(#[from] X86Error),
}

impl HostError {
    /// The line and column in the record file, when the error has one.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            HostError::Record { pos, .. } => *pos,
            HostError::X86(e) => e.pos(),
            _ => None,
        }
    }
}

impl HostRecord {
    /// The CPUID rows as raw data (no MSRs).
    pub fn cpuid_data(&self) -> CpuData {
        CpuData {
            arch: "x86".into(),
            items: self
                .cpuid
                .iter()
                .map(|r| CpuDataItem::Cpuid {
                    leaf: r.leaf,
                    subleaf: r.subleaf,
                    regs: r.regs,
                })
                .collect(),
        }
    }

    /// The CPUID instruction's row `(leaf, subleaf)`; repeated rows are OR-ed.
    pub fn cpuid(&self, leaf: u32, subleaf: u32) -> Option<[u32; 4]> {
        let mut found = None::<[u32; 4]>;
        for r in self
            .cpuid
            .iter()
            .filter(|r| r.leaf == leaf && r.subleaf == subleaf)
        {
            let f = found.get_or_insert([0; 4]);
            for (a, b) in f.iter_mut().zip(r.regs) {
                *a |= b;
            }
        }
        found
    }

    /// The vendor string of CPUID leaf 0 (`GenuineIntel`), when it is one.
    pub fn vendor_string(&self) -> Option<String> {
        let r = self.cpuid(0, 0)?;
        let bytes: Vec<u8> = [r[1], r[3], r[2]]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        String::from_utf8(bytes).ok()
    }

    /// Reads this machine: the CPUID walk, `/dev/kvm`, `/dev/cpu/0/msr` and
    /// `/proc/cpuinfo`. What cannot be read is recorded with the reason. `None` on other
    /// architectures.
    pub fn live() -> Option<HostRecord> {
        let cpuid = crate::probe::cpuid_rows()?;
        let (microcode, phys_bits) = match std::fs::read_to_string("/proc/cpuinfo") {
            Ok(text) => cpuinfo_facts(&text),
            Err(_) => (None, None),
        };
        Some(HostRecord {
            about: String::new(),
            cpuid,
            kvm: KvmAnswers::read().map_err(|e| e.to_string()),
            msr_device: crate::probe::msr_device(&crate::probe::MSR_DEVICE_INDICES),
            microcode,
            phys_bits,
            tsc_khz: None,
        })
    }

    /// Reads a record file.
    ///
    /// # Errors
    /// [`HostError::Record`]: with a line and column for text that is not JSON or not the
    /// documented shape (an unknown key, a missing `raw_cpuid_libvirt_walk`, a value of the
    /// wrong type, a hex string that does not parse); without one for a CPUID or KVM value
    /// beyond 32 bits, an MSR key that is not a 32-bit hex index, `kvm_*` answers without
    /// `kvm_supported_cpuid`, or both an answer and its `*_unavailable` reason.
    pub fn from_json(text: &str) -> Result<HostRecord, HostError> {
        let raw: Raw = serde_json::from_str(text).map_err(json_error)?;
        raw.into_record()
    }

    /// The record as the documented JSON, one row per line.
    pub fn to_json(&self) -> String {
        let q = |s: &str| serde_json::Value::from(s).to_string();
        let hex8 = |v: u32| format!("\"{v:08x}\"");
        let mut s = String::from("{\n");
        let _ = writeln!(s, "  \"about\": {},", q(&self.about));
        s.push_str("  \"raw_cpuid_libvirt_walk\": [\n");
        let rows: Vec<String> = self
            .cpuid
            .iter()
            .map(|r| {
                let regs: Vec<String> = r.regs.iter().map(|&v| hex8(v)).collect();
                format!(
                    "    [{}, {}, {}]",
                    hex8(r.leaf),
                    hex8(r.subleaf),
                    regs.join(", ")
                )
            })
            .collect();
        s.push_str(&rows.join(",\n"));
        s.push_str("\n  ],\n");
        let hex_list = |v: &[u32]| {
            v.iter()
                .map(|i| format!("\"{i:#x}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let hex_map = |v: &[(u32, u64)]| {
            v.iter()
                .map(|(i, x)| format!("\"{i:#x}\": \"{x:#x}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let opt_hex = |v: Option<u64>| v.map_or("null".to_string(), |x| format!("\"{x:#x}\""));
        match &self.kvm {
            Ok(k) => {
                s.push_str("  \"kvm_supported_cpuid\": [\n");
                let rows: Vec<String> = k
                    .supported_cpuid
                    .iter()
                    .map(|e| {
                        let regs: Vec<String> = e.regs.iter().map(|&v| hex8(v)).collect();
                        format!(
                            "    [{}, {}, {}, {}]",
                            hex8(e.function),
                            hex8(e.index),
                            e.flags,
                            regs.join(", ")
                        )
                    })
                    .collect();
                s.push_str(&rows.join(",\n"));
                s.push_str("\n  ],\n");
                let _ = writeln!(
                    s,
                    "  \"kvm_feature_msr_index_list\": [{}],",
                    hex_list(&k.feature_msr_indices)
                );
                let _ = writeln!(
                    s,
                    "  \"kvm_feature_msrs\": {{{}}},",
                    hex_map(&k.feature_msrs)
                );
                let _ = writeln!(
                    s,
                    "  \"kvm_msr_index_list\": [{}],",
                    hex_list(&k.msr_indices)
                );
                let _ = writeln!(
                    s,
                    "  \"kvm_caps\": {{\"TSC_DEADLINE_TIMER\": {}, \"SYS_ATTRIBUTES\": {}, \"GET_MSR_FEATURES\": {}}},",
                    u8::from(k.tsc_deadline_timer),
                    u8::from(k.sys_attributes),
                    u8::from(!k.feature_msr_indices.is_empty())
                );
                let _ = writeln!(
                    s,
                    "  \"kvm_mce_cap_supported\": {},",
                    opt_hex(k.mce_cap_supported)
                );
                let _ = writeln!(
                    s,
                    "  \"kvm_xcomp_guest_supp\": {},",
                    opt_hex(k.xcomp_guest_supp)
                );
                let _ = writeln!(
                    s,
                    "  \"kvm_tsc_khz\": {},",
                    self.tsc_khz.map_or("null".into(), |v| v.to_string())
                );
            }
            Err(why) => {
                let _ = writeln!(s, "  \"kvm_unavailable\": {},", q(why));
            }
        }
        match &self.msr_device {
            Ok(v) => {
                let _ = writeln!(s, "  \"msr_device\": {{{}}},", hex_map(v));
            }
            Err(why) => {
                let _ = writeln!(s, "  \"msr_device\": null,");
                let _ = writeln!(s, "  \"msr_device_unavailable\": {},", q(why));
            }
        }
        let mut facts = Vec::new();
        if let Some(m) = self.microcode {
            facts.push(format!("\"microcode\": \"{m:#x}\""));
        }
        if let Some(b) = self.phys_bits {
            facts.push(format!("\"address_sizes_physical\": {b}"));
        }
        let _ = writeln!(s, "  \"proc_cpuinfo\": {{{}}}", facts.join(", "));
        s.push_str("}\n");
        s
    }
}

/// `microcode` and `address sizes ... bits physical` from `/proc/cpuinfo` (first CPU).
pub(crate) fn cpuinfo_facts(text: &str) -> (Option<u64>, Option<u32>) {
    let mut microcode = None;
    let mut bits = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "microcode" if microcode.is_none() => microcode = parse_hex(value),
            "address sizes" if bits.is_none() => {
                bits = value
                    .split_once(" bits physical")
                    .and_then(|(n, _)| n.trim().parse().ok());
            }
            _ => {}
        }
        if microcode.is_some() && bits.is_some() {
            break;
        }
    }
    (microcode, bits)
}

fn parse_hex(s: &str) -> Option<u64> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

fn json_error(e: serde_json::Error) -> HostError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    HostError::Record {
        message: full.strip_suffix(&suffix).unwrap_or(&full).to_string(),
        pos: (e.line() != 0).then(|| Pos {
            line: e.line() as u32,
            column: e.column() as u32,
        }),
    }
}

/// A hex number written as a string (`"0x10a"` or `"0000010a"`).
#[derive(Clone, Copy, Debug)]
struct Hex(u64);

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Hex, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Hex;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a hex number in a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Hex, E> {
                parse_hex(s)
                    .map(Hex)
                    .ok_or_else(|| E::custom(format!("expected a hex number, got \"{s}\"")))
            }
        }
        d.deserialize_str(V)
    }
}

impl Hex {
    fn u32(self) -> Result<u32, String> {
        u32::try_from(self.0).map_err(|_| format!("{:#x} does not fit in 32 bits", self.0))
    }
}

/// `[leaf, subleaf, eax, ebx, ecx, edx]`.
type CpuidLine = (Hex, Hex, Hex, Hex, Hex, Hex);
/// `[function, index, flags, eax, ebx, ecx, edx]`.
type KvmCpuidLine = (Hex, Hex, u32, Hex, Hex, Hex, Hex);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    about: String,
    raw_cpuid_libvirt_walk: Vec<CpuidLine>,
    kvm_supported_cpuid: Option<Vec<KvmCpuidLine>>,
    kvm_feature_msr_index_list: Option<Vec<Hex>>,
    kvm_feature_msrs: Option<BTreeMap<String, Hex>>,
    kvm_msr_index_list: Option<Vec<Hex>>,
    kvm_caps: Option<BTreeMap<String, i64>>,
    kvm_mce_cap_supported: Option<Hex>,
    kvm_xcomp_guest_supp: Option<Hex>,
    kvm_tsc_khz: Option<u64>,
    kvm_unavailable: Option<String>,
    msr_device: Option<BTreeMap<String, Hex>>,
    msr_device_unavailable: Option<String>,
    #[serde(default)]
    proc_cpuinfo: Cpuinfo,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Cpuinfo {
    microcode: Option<Hex>,
    address_sizes_physical: Option<u32>,
}

fn record_error(message: String) -> HostError {
    HostError::Record { message, pos: None }
}

fn msr_map(what: &str, m: &BTreeMap<String, Hex>) -> Result<Vec<(u32, u64)>, HostError> {
    let mut out = Vec::new();
    for (k, v) in m {
        let index = parse_hex(k)
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| {
                record_error(format!("{what}: expected an MSR index key, got \"{k}\""))
            })?;
        out.push((index, v.0));
    }
    Ok(out)
}

impl Raw {
    fn into_record(self) -> Result<HostRecord, HostError> {
        let bad = |what: &str, e: String| record_error(format!("{what}: {e}"));
        let mut cpuid = Vec::new();
        for (leaf, sub, a, b, c, d) in self.raw_cpuid_libvirt_walk {
            let w = "raw_cpuid_libvirt_walk";
            cpuid.push(CpuidRow {
                leaf: leaf.u32().map_err(|e| bad(w, e))?,
                subleaf: sub.u32().map_err(|e| bad(w, e))?,
                regs: [
                    a.u32().map_err(|e| bad(w, e))?,
                    b.u32().map_err(|e| bad(w, e))?,
                    c.u32().map_err(|e| bad(w, e))?,
                    d.u32().map_err(|e| bad(w, e))?,
                ],
            });
        }
        let any_kvm = self.kvm_feature_msr_index_list.is_some()
            || self.kvm_feature_msrs.is_some()
            || self.kvm_msr_index_list.is_some()
            || self.kvm_caps.is_some();
        let kvm = match (self.kvm_supported_cpuid, self.kvm_unavailable) {
            (Some(_), Some(_)) => {
                return Err(record_error(
                    "both kvm_supported_cpuid and kvm_unavailable are given".into(),
                ))
            }
            (None, why) => {
                if any_kvm {
                    return Err(record_error(
                        "kvm answers are given without kvm_supported_cpuid".into(),
                    ));
                }
                Err(why.unwrap_or_else(|| "not recorded".into()))
            }
            (Some(rows), None) => {
                let w = "kvm_supported_cpuid";
                let mut supported_cpuid = Vec::new();
                for (f, i, flags, a, b, c, d) in rows {
                    supported_cpuid.push(KvmCpuidEntry {
                        function: f.u32().map_err(|e| bad(w, e))?,
                        index: i.u32().map_err(|e| bad(w, e))?,
                        flags,
                        regs: [
                            a.u32().map_err(|e| bad(w, e))?,
                            b.u32().map_err(|e| bad(w, e))?,
                            c.u32().map_err(|e| bad(w, e))?,
                            d.u32().map_err(|e| bad(w, e))?,
                        ],
                    });
                }
                let list = |what: &str, v: Option<Vec<Hex>>| -> Result<Vec<u32>, HostError> {
                    v.unwrap_or_default()
                        .into_iter()
                        .map(|h| h.u32().map_err(|e| bad(what, e)))
                        .collect()
                };
                let caps = self.kvm_caps.unwrap_or_default();
                let cap = |name: &str| caps.get(name).is_some_and(|&v| v > 0);
                Ok(KvmAnswers {
                    supported_cpuid,
                    feature_msr_indices: list(
                        "kvm_feature_msr_index_list",
                        self.kvm_feature_msr_index_list,
                    )?,
                    feature_msrs: msr_map(
                        "kvm_feature_msrs",
                        &self.kvm_feature_msrs.unwrap_or_default(),
                    )?,
                    msr_indices: list("kvm_msr_index_list", self.kvm_msr_index_list)?,
                    tsc_deadline_timer: cap("TSC_DEADLINE_TIMER"),
                    sys_attributes: cap("SYS_ATTRIBUTES"),
                    xcomp_guest_supp: self.kvm_xcomp_guest_supp.map(|h| h.0),
                    mce_cap_supported: self.kvm_mce_cap_supported.map(|h| h.0),
                })
            }
        };
        let msr_device = match (self.msr_device, self.msr_device_unavailable) {
            (Some(_), Some(_)) => {
                return Err(record_error(
                    "both msr_device and msr_device_unavailable are given".into(),
                ))
            }
            (Some(m), None) => Ok(msr_map("msr_device", &m)?),
            (None, why) => Err(why.unwrap_or_else(|| "not recorded".into())),
        };
        Ok(HostRecord {
            about: self.about,
            cpuid,
            kvm,
            msr_device,
            microcode: self.proc_cpuinfo.microcode.map(|h| h.0),
            phys_bits: self.proc_cpuinfo.address_sizes_physical,
            tsc_khz: self.kvm_tsc_khz,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"{
  "about": "toy",
  "raw_cpuid_libvirt_walk": [["00000000", "00000000", "0000000d", "756e6547", "6c65746e", "49656e69"]],
  "kvm_supported_cpuid": [["00000001", "00000000", 0, "000a0671", "00020800", "81202000", "0f8bfbff"]],
  "kvm_feature_msr_index_list": ["0x10a"],
  "kvm_feature_msrs": {"0x10a": "0xc00e16d"},
  "kvm_msr_index_list": ["0x10a", "0x174"],
  "kvm_caps": {"TSC_DEADLINE_TIMER": 1, "SYS_ATTRIBUTES": 0, "MCE": 32},
  "kvm_mce_cap_supported": null,
  "kvm_xcomp_guest_supp": "0xe7",
  "kvm_tsc_khz": 2600000,
  "msr_device": null,
  "proc_cpuinfo": {"microcode": "0x1", "address_sizes_physical": 48}
}"#;

    #[test]
    fn a_record_round_trips_through_its_text() {
        let r = HostRecord::from_json(SMALL).unwrap();
        assert_eq!(r.vendor_string().as_deref(), Some("GenuineIntel"));
        let k = r.kvm.as_ref().unwrap();
        assert_eq!(
            k.cpuid(1, 0),
            Some([0x000a0671, 0x20800, 0x81202000, 0x0f8bfbff])
        );
        assert_eq!(k.feature_msr(0x10a), Some(0xc00e16d));
        assert!(k.tsc_deadline_timer && !k.sys_attributes);
        assert_eq!(k.xcomp_guest_supp, Some(0xe7));
        assert_eq!(r.msr_device, Err("not recorded".to_string()));
        assert_eq!((r.microcode, r.phys_bits), (Some(1), Some(48)));
        assert_eq!(HostRecord::from_json(&r.to_json()).unwrap(), r);
    }

    #[test]
    fn unreadable_sources_keep_their_reason() {
        let r = HostRecord {
            cpuid: vec![CpuidRow {
                leaf: 0,
                subleaf: 0,
                regs: [1, 2, 3, 4],
            }],
            kvm: Err("cannot open /dev/kvm: permission denied".into()),
            msr_device: Err("no such file or directory".into()),
            ..Default::default()
        };
        assert_eq!(HostRecord::from_json(&r.to_json()).unwrap(), r);
    }

    #[test]
    fn errors_name_line_column_and_what_was_expected() {
        let e = HostRecord::from_json("{\"raw_cpuid_libvirt_walk\": [[\"0\", \"0\", \"xyz\"")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid host record: expected a hex number, got \"xyz\""
        );
        assert_eq!(
            e.pos(),
            Some(Pos {
                line: 1,
                column: 44
            })
        );
        let e =
            HostRecord::from_json("{\"raw_cpuid_libvirt_walk\": [], \"kvm_cap\": {}}").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid host record: unknown field `kvm_cap`"),
            "{e}"
        );
        let e = HostRecord::from_json(
            "{\"raw_cpuid_libvirt_walk\": [], \"kvm_msr_index_list\": [\"0x10a\"]}",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid host record: kvm answers are given without kvm_supported_cpuid"
        );
        let e = HostRecord::from_json(
            "{\"raw_cpuid_libvirt_walk\": [[\"100000000\", \"0\", \"0\", \"0\", \"0\", \"0\"]]}",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid host record: raw_cpuid_libvirt_walk: 0x100000000 does not fit in 32 bits"
        );
    }

    #[test]
    fn cpuinfo_gives_microcode_and_physical_address_bits() {
        let text = "processor\t: 0\nmicrocode\t: 0x1000065\naddress sizes\t: 48 bits physical, 48 bits virtual\n";
        assert_eq!(cpuinfo_facts(text), (Some(0x1000065), Some(48)));
        assert_eq!(cpuinfo_facts("flags: fpu\n"), (None, None));
    }
}
