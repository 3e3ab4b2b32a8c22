//! x86-64 micro-architecture levels (the psABI's `x86-64`, `-v2`, `-v3`, `-v4`), as data
//! the catalog's feature names map onto.
//!
//! Each level is a list of libvirt feature names; levels are cumulative, and a CPU (a host,
//! a baseline, a named model) reaches level N when its feature set holds every name of
//! levels 1 to N:
//!
//! ```text
//! level(F) = max { N | LEVELS[1] ∪ … ∪ LEVELS[N] ⊆ F }      (none when v1 is not met)
//! ```
//!
//! The lists are QEMU's `scripts/cpu-x86-uarch-abi.py` sets in libvirt's spelling (SSE3 is
//! `pni`, LAHF-SAHF `lahf_lm`, LZCNT `abm`, SCE the `syscall` bit). The psABI's OSFXSR and
//! SCE are control-register bits no CPUID dump or model carries, and its OSXSAVE is never a
//! model feature (libvirt strips it before QEMU sees a CPU, QEMU sets it at run time when
//! `xsave` is on), so none of them is tested, as QEMU's script does not test them either.
//! With these lists libvirt 12.8's 176 models split into 47 at v4, 45 at v3, 45 at v2, 20 at
//! v1 and 19 below (pinned by a test). libvirt's Haswell and Broadwell definitions lack
//! `f16c` and `abm`, so they are v2 here while QEMU's models of the same names are v3.
use serde::Serialize;
use std::fmt;

/// An x86-64 micro-architecture level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum X86Level {
    /// The x86-64 baseline (`x86-64`, "v1").
    V1,
    /// `x86-64-v2`.
    V2,
    /// `x86-64-v3`.
    V3,
    /// `x86-64-v4`.
    V4,
}

/// The features each level adds to the one below, libvirt's names.
pub const LEVELS: [(X86Level, &[&str]); 4] = [
    (
        X86Level::V1,
        &[
            "cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2",
        ],
    ),
    (
        X86Level::V2,
        &[
            "cx16", "lahf_lm", "popcnt", "pni", "sse4.1", "sse4.2", "ssse3",
        ],
    ),
    (
        X86Level::V3,
        &["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe"],
    ),
    (
        X86Level::V4,
        &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"],
    ),
];

impl X86Level {
    /// Every level, lowest first.
    pub const ALL: [X86Level; 4] = [X86Level::V1, X86Level::V2, X86Level::V3, X86Level::V4];

    /// `v1` … `v4`.
    pub fn as_str(self) -> &'static str {
        match self {
            X86Level::V1 => "v1",
            X86Level::V2 => "v2",
            X86Level::V3 => "v3",
            X86Level::V4 => "v4",
        }
    }

    /// Reads `v1`…`v4`, `x86-64-v2`…, `x86-64` (v1), case-insensitively.
    pub fn from_name(name: &str) -> Option<X86Level> {
        let n = name.to_ascii_lowercase();
        let n = n.strip_prefix("x86-64-").unwrap_or(&n);
        match n {
            "v1" | "x86-64" | "1" => Some(X86Level::V1),
            "v2" | "2" => Some(X86Level::V2),
            "v3" | "3" => Some(X86Level::V3),
            "v4" | "4" => Some(X86Level::V4),
            _ => None,
        }
    }

    /// The features this level adds to the one below.
    pub fn own_features(self) -> &'static [&'static str] {
        LEVELS[self as usize].1
    }

    /// Every feature this level needs (its own and those of the levels below).
    pub fn features(self) -> impl Iterator<Item = &'static str> {
        LEVELS[..=self as usize]
            .iter()
            .flat_map(|(_, names)| names.iter().copied())
    }

    /// The highest level a feature set (by name) reaches; `None` below v1.
    pub fn of<S: AsRef<str>>(names: &[S]) -> Option<X86Level> {
        let has = |f: &str| names.iter().any(|n| n.as_ref() == f);
        let mut best = None;
        for (level, own) in LEVELS {
            if own.iter().all(|f| has(f)) {
                best = Some(level);
            } else {
                break;
            }
        }
        best
    }

    /// The features of this level (and those below) a feature set lacks, in level order.
    pub fn missing<S: AsRef<str>>(self, names: &[S]) -> Vec<String> {
        self.features()
            .filter(|f| !names.iter().any(|n| n.as_ref() == *f))
            .map(str::to_string)
            .collect()
    }
}

impl fmt::Display for X86Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for X86Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Arch, CpuMap, Engine};

    fn all_below(level: X86Level) -> Vec<&'static str> {
        level.features().collect()
    }

    /// Each boundary: every feature of the level reaches it; any one of its own features
    /// missing drops to the level below.
    fn boundary(level: X86Level, below: Option<X86Level>) {
        let full = all_below(level);
        assert_eq!(X86Level::of(&full), Some(level));
        for gone in level.own_features() {
            let fewer: Vec<&str> = full.iter().copied().filter(|f| f != gone).collect();
            assert_eq!(X86Level::of(&fewer), below, "without {gone}");
            assert_eq!(level.missing(&fewer), vec![gone.to_string()]);
        }
    }

    #[test]
    fn v1_boundary() {
        boundary(X86Level::V1, None);
        assert_eq!(X86Level::of::<&str>(&[]), None);
    }

    #[test]
    fn v2_boundary() {
        boundary(X86Level::V2, Some(X86Level::V1));
    }

    #[test]
    fn v3_boundary() {
        boundary(X86Level::V3, Some(X86Level::V2));
    }

    #[test]
    fn v4_boundary() {
        boundary(X86Level::V4, Some(X86Level::V3));
        // A level above a gap does not count: v4's features without v3's are v2.
        let mut gap: Vec<&str> = all_below(X86Level::V2);
        gap.extend(X86Level::V4.own_features());
        assert_eq!(X86Level::of(&gap), Some(X86Level::V2));
    }

    #[test]
    fn names_are_read_in_every_spelling() {
        assert_eq!(X86Level::from_name("x86-64-v3"), Some(X86Level::V3));
        assert_eq!(X86Level::from_name("V2"), Some(X86Level::V2));
        assert_eq!(X86Level::from_name("x86-64"), Some(X86Level::V1));
        assert_eq!(X86Level::from_name("v5"), None);
    }

    #[test]
    fn every_level_feature_is_a_catalog_feature() {
        for map in [CpuMap::Libvirt11_3, CpuMap::Libvirt12_8] {
            let engine = Engine::builder(Arch::X86).cpu_map(map).build().unwrap();
            let names: Vec<String> = X86Level::V4.features().map(str::to_string).collect();
            let xml = format!(
                "<cpu><arch>x86_64</arch><model>qemu64</model>{}</cpu>",
                names
                    .iter()
                    .map(|n| format!("<feature name='{n}'/>"))
                    .collect::<String>()
            );
            let cpu = engine.parse(&xml).unwrap();
            let have = engine.features(&cpu).unwrap();
            assert_eq!(X86Level::of(&have), Some(X86Level::V4));
        }
    }
}
