//! cpucompat: the engine facade. It reads inputs, dispatches by architecture to the
//! adapters, and renders results; the CLI in `main.rs` is a thin shell over [`run`].
mod catalog_cmd;
pub mod cli;
mod error;
mod input;
mod parse_cmd;
mod ppc64;
mod render;
mod s390x;
mod x86;

pub use error::Error;

use cli::{Cli, Command};

/// What a command prints and its exit status; printed only when the command succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Everything for stdout.
    pub stdout: String,
    /// Exit status (0 ok, 1 incompatible).
    pub exit: u8,
}

impl Output {
    /// Output with exit status 0.
    pub fn ok(stdout: String) -> Output {
        Output { stdout, exit: 0 }
    }
}

/// The architectures cpucompat decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// x86 / x86_64 / i686.
    X86,
    /// ppc64 / ppc64le.
    Ppc64,
    /// s390x.
    S390x,
}

impl Arch {
    /// Parses libvirt's and QEMU's arch names.
    pub fn from_name(s: &str) -> Option<Arch> {
        match s {
            "x86" | "x86_64" | "i686" | "i386" | "amd64" => Some(Arch::X86),
            "ppc64" | "ppc64le" | "power" | "ppc" => Some(Arch::Ppc64),
            "s390x" | "s390" => Some(Arch::S390x),
            _ => None,
        }
    }

    /// The architecture of the machine cpucompat runs on.
    pub fn native() -> Arch {
        if cfg!(target_arch = "powerpc64") {
            Arch::Ppc64
        } else if cfg!(target_arch = "s390x") {
            Arch::S390x
        } else {
            Arch::X86
        }
    }
}

/// Runs one command line.
pub fn run(cli: Cli) -> Result<Output, Error> {
    let common = cli.common;
    let forced = match &common.arch {
        Some(a) => Some(Arch::from_name(a).ok_or_else(|| {
            Error::usage(format!(
                "unknown architecture '{a}'; expected x86_64, ppc64 or s390x"
            ))
        })?),
        None => None,
    };
    match cli.command.unwrap_or(Command::Host) {
        Command::Host => match forced.unwrap_or_else(Arch::native) {
            Arch::X86 => x86::host(&common),
            Arch::Ppc64 => ppc64::host(&common),
            Arch::S390x => s390x::host(&common),
        },
        Command::Compare(a) => {
            let arch = input::arch_of(forced, &[&a.host, &a.guest])?;
            match arch {
                Arch::X86 => x86::compare(&common, &a),
                Arch::Ppc64 => ppc64::compare(&common, &a),
                Arch::S390x => s390x::compare(&common, &a),
            }
        }
        Command::Baseline(a) => {
            let paths: Vec<&std::path::PathBuf> = a.files.iter().collect();
            match input::arch_of(forced, &paths)? {
                Arch::X86 => x86::baseline(&common, &a),
                Arch::Ppc64 => ppc64::baseline(&common, &a),
                Arch::S390x => s390x::baseline(&common, &a),
            }
        }
        Command::Decode(a) => {
            let arch = if a.pvr.is_some() {
                Arch::Ppc64
            } else {
                input::arch_of(forced, &[&a.dump])?
            };
            match arch {
                Arch::X86 => x86::decode(&common, &a),
                Arch::Ppc64 => ppc64::decode(&common, &a),
                Arch::S390x => Err(Error::usage(
                    "s390x has no CPUID dump to decode; use `qmp` or `models`".into(),
                )),
            }
        }
        Command::Models(a) => {
            let arch = match &a.host {
                Some(h) => input::arch_of(forced, &[h])?,
                None => forced.unwrap_or(Arch::X86),
            };
            match arch {
                Arch::X86 => x86::models(&common, &a),
                Arch::Ppc64 => ppc64::models(&common, &a),
                Arch::S390x => s390x::models(&common, &a),
            }
        }
        Command::Expand(a) => match forced.unwrap_or(Arch::X86) {
            Arch::X86 => x86::expand(&common, &a),
            Arch::Ppc64 => ppc64::expand(&common, &a),
            Arch::S390x => s390x::expand(&common, &a),
        },
        Command::Qmp(a) => match forced.unwrap_or(Arch::S390x) {
            Arch::X86 => Err(Error::usage(
                "qmp: x86 is not supported; use --arch s390x or ppc64".into(),
            )),
            Arch::Ppc64 => ppc64::qmp(&common, &a),
            Arch::S390x => s390x::qmp(&common, &a),
        },
        Command::Parse(a) => parse_cmd::parse_command(&common, &a),
        Command::Catalog(cli::CatalogCommand::Import {
            cpu_map,
            catalog_arch,
        }) => catalog_cmd::catalog_import(&cpu_map, &catalog_arch),
    }
}
