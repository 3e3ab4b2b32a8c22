//! The Processor Version Register: parsing it from text, and reading it from a POWER
//! machine's `/proc/cpuinfo`.
//!
//! A PVR is 32 bits. For IBM server CPUs the upper half names the processor (POWER9 is
//! `0x004e`), the lower half the revision: bits 8..=11 hold the major DD level and bits
//! 0..=7 the minor one, so `0x004e1202` is POWER9 DD2.2.
//!
//! ```text
//! version(pvr) = pvr >> 16
//! dd_major(pvr) = (pvr >> 8) & 0xf      dd_minor(pvr) = pvr & 0xff
//! a pattern (value, mask) matches pvr  ⇔  pvr & mask = value
//! ```
use crate::Error;
use std::fmt;

/// A raw processor version register value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pvr(u32);

impl Pvr {
    /// A PVR with this raw value (every 32-bit value is a PVR).
    pub const fn new(value: u32) -> Pvr {
        Pvr(value)
    }

    /// The raw value.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// The processor version: the upper 16 bits.
    pub const fn version(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The major DD (design) level: bits 8..=11.
    pub const fn dd_major(self) -> u8 {
        ((self.0 >> 8) & 0xf) as u8
    }

    /// The minor DD level: bits 0..=7.
    pub const fn dd_minor(self) -> u8 {
        (self.0 & 0xff) as u8
    }

    /// Whether `self & mask == value`.
    pub const fn matches(self, value: u32, mask: u32) -> bool {
        self.0 & mask == value
    }

    /// Parses `0x004e1202`, `004e1202`, `0X4E1202` (hexadecimal, with or without `0x`) or
    /// `004e 1202` (the two halves `/proc/cpuinfo` prints).
    ///
    /// # Errors
    /// [`Error::BadPvr`] when, after trimming, dropping a `0x`/`0X` prefix and removing
    /// spaces and underscores, the text is empty, longer than 8 digits, or not hexadecimal.
    pub fn parse(text: &str) -> Result<Pvr, Error> {
        let t = text.trim();
        let digits: String = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t)
            .chars()
            .filter(|c| *c != ' ' && *c != '_')
            .collect();
        if digits.is_empty() || digits.len() > 8 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::BadPvr(text.to_string()));
        }
        u32::from_str_radix(&digits, 16)
            .map(Pvr)
            .map_err(|_| Error::BadPvr(text.to_string()))
    }

    /// Reads the PVR of the first processor listed in a `/proc/cpuinfo` text: the
    /// `revision : 2.2 (pvr 004e 1202)` line. Returns the PVR and the `cpu :` line's first
    /// word (e.g. `POWER9`), or [`Error::NoPvrInCpuinfo`] naming the line expected.
    ///
    /// # Errors
    /// [`Error::NoPvrInCpuinfo`] when no `revision` line holds `(pvr ...)`;
    /// [`Error::BadPvr`] when the PVR there does not parse.
    pub fn from_cpuinfo(text: &str) -> Result<(Pvr, Option<String>), Error> {
        let mut cpu_name = None;
        for (n, line) in text.lines().enumerate() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            match key.trim() {
                "cpu" if cpu_name.is_none() => {
                    cpu_name = value
                        .split([' ', ','])
                        .find(|w| !w.is_empty())
                        .map(str::to_string);
                }
                "revision" => {
                    if let Some(start) = value.find("(pvr") {
                        let rest = &value[start + 4..];
                        let end = rest.find(')').unwrap_or(rest.len());
                        let pvr = Pvr::parse(&rest[..end]).map_err(|_| {
                            // Where the PVR text starts: after the key, ':', "(pvr" and
                            // blanks.
                            let pvr = &rest[..end];
                            let at = key.len() + 1 + start + 4 + pvr.len() - pvr.trim_start().len();
                            Error::BadPvrAt {
                                text: pvr.to_string(),
                                line: u32::try_from(n + 1).unwrap_or(u32::MAX),
                                column: u32::try_from(line[..at].chars().count() + 1)
                                    .unwrap_or(u32::MAX),
                            }
                        })?;
                        return Ok((pvr, cpu_name));
                    }
                }
                _ => {}
            }
        }
        Err(Error::NoPvrInCpuinfo)
    }
}

impl fmt::Display for Pvr {
    /// `0x004e1202`: eight hex digits, as libvirt and QEMU print PVRs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_the_spellings_of_a_pvr() {
        for t in [
            "0x004e1202",
            "004e1202",
            "0X4E1202",
            "004e 1202",
            " 0x4e1202 ",
        ] {
            assert_eq!(Pvr::parse(t).unwrap(), Pvr::new(0x004e_1202), "{t}");
        }
    }

    #[test]
    fn parse_rejects_non_pvrs_with_a_clear_message() {
        for t in ["", "0x", "POWER9", "0x1234567890", "-1"] {
            let e = Pvr::parse(t).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("invalid PVR '{t}': expected up to 8 hex digits such as 0x004e1202")
            );
        }
    }

    #[test]
    fn fields_split_version_and_dd_level() {
        let p = Pvr::new(0x004e_1202);
        assert_eq!(p.version(), 0x004e);
        assert_eq!((p.dd_major(), p.dd_minor()), (2, 2));
        assert_eq!(p.to_string(), "0x004e1202");
        assert!(p.matches(0x004e_0000, 0xffff_0000));
        assert!(!p.matches(0x004d_0000, 0xffff_0000));
    }

    #[test]
    fn cpuinfo_gives_pvr_and_cpu_name() {
        let text = "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n\
                    clock\t\t: 2200.000000MHz\nrevision\t: 2.2 (pvr 004e 1202)\n\n\
                    processor\t: 1\ncpu\t\t: POWER9 (architected), altivec supported\n\
                    revision\t: 2.2 (pvr 004e 1202)\n";
        let (pvr, name) = Pvr::from_cpuinfo(text).unwrap();
        assert_eq!(pvr, Pvr::new(0x004e_1202));
        assert_eq!(name.as_deref(), Some("POWER9"));
    }

    #[test]
    fn a_bad_cpuinfo_pvr_names_its_line_and_column() {
        let e =
            Pvr::from_cpuinfo("processor\t: 0\nrevision\t: 2.2 (pvr 004e 12023)\n").unwrap_err();
        assert_eq!(
            e,
            Error::BadPvrAt {
                text: " 004e 12023".into(),
                line: 2,
                column: 21
            }
        );
        assert_eq!(
            e.to_string(),
            "invalid PVR ' 004e 12023': expected up to 8 hex digits such as 0x004e1202"
        );
    }

    #[test]
    fn cpuinfo_without_revision_is_an_error() {
        let e = Pvr::from_cpuinfo("processor : 0\nvendor_id : GenuineIntel\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "no 'revision : ... (pvr XXXX XXXX)' line found: not a POWER /proc/cpuinfo"
        );
    }
}
