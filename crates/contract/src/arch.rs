//! The architectures cpucompat decides, and the names libvirt and QEMU give them.
use std::fmt;

/// An architecture cpucompat can decide for.
///
/// Names are read as libvirt and QEMU write them: `x86_64`, `i686` (and `x86`, `i386`,
/// `amd64`) are [`Arch::X86`]; `ppc64`, `ppc64le` are [`Arch::Ppc64`]; `s390x` (and `s390`)
/// is [`Arch::S390x`]. Every other name (`aarch64`, `sparc64`, `ppc` ...) is not an
/// architecture cpucompat can decide: [`Arch::from_name`] returns `None` and callers refuse
/// the input.
///
/// ```
/// use cpucompat_contract::Arch;
/// assert_eq!(Arch::from_name("ppc64le"), Some(Arch::Ppc64));
/// assert_eq!(Arch::from_name("aarch64"), None);
/// assert_eq!(Arch::X86.as_str(), "x86_64");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// x86: `x86_64` and `i686`.
    X86,
    /// 64-bit POWER: `ppc64`, `ppc64le`.
    Ppc64,
    /// IBM Z: `s390x`.
    S390x,
}

impl Arch {
    /// Every architecture, in this order.
    pub const ALL: [Arch; 3] = [Arch::X86, Arch::Ppc64, Arch::S390x];

    /// Reads a libvirt or QEMU architecture name; `None` for one cpucompat cannot decide.
    pub fn from_name(name: &str) -> Option<Arch> {
        match name {
            "x86_64" | "i686" | "x86" | "i386" | "amd64" => Some(Arch::X86),
            "ppc64" | "ppc64le" => Some(Arch::Ppc64),
            "s390x" | "s390" => Some(Arch::S390x),
            _ => None,
        }
    }

    /// The canonical name: `x86_64`, `ppc64`, `s390x`.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86 => "x86_64",
            Arch::Ppc64 => "ppc64",
            Arch::S390x => "s390x",
        }
    }

    /// The architecture of the machine this program runs on, if cpucompat decides for it.
    pub fn native() -> Option<Arch> {
        if cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
            Some(Arch::X86)
        } else if cfg!(target_arch = "powerpc64") {
            Some(Arch::Ppc64)
        } else if cfg!(target_arch = "s390x") {
            Some(Arch::S390x)
        } else {
            None
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_names_are_refused() {
        for a in Arch::ALL {
            assert_eq!(Arch::from_name(a.as_str()), Some(a));
        }
        for foreign in ["aarch64", "sparc64", "ppc", "riscv64", "", "X86_64"] {
            assert_eq!(Arch::from_name(foreign), None, "{foreign}");
        }
    }
}
