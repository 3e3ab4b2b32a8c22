//! The command line, as `clap` types. Thin: every command is a call into the library.
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Virtual-CPU compatibility decisions: can this guest run on, or migrate to, this host;
/// what CPU can a whole pool of hosts offer.
#[derive(Parser, Debug)]
#[command(name = "cpucompat", version, about, long_about = None)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub common: Common,
    /// The command; none means `host`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by every command.
#[derive(Args, Debug, Clone, Default)]
pub struct Common {
    /// Architecture: x86_64 (x86), ppc64, s390x. Default: from the input, else this machine's.
    #[arg(long, global = true)]
    pub arch: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Use this libvirt cpu_map directory instead of the embedded x86/ppc64 catalog.
    #[arg(long, global = true, value_name = "DIR")]
    pub cpu_map: Option<PathBuf>,
    /// s390x, ppc64: use the model data of this QEMU release (default: newest; `7.2`).
    #[arg(long, global = true, value_name = "V")]
    pub qemu_version: Option<String>,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// libvirt-style XML.
    Xml,
    /// JSON.
    Json,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Report on this machine: CPU, model, vendor, signature, features, runnable models.
    Host,
    /// Can GUEST run on HOST? Exit 0 identical or superset, 1 incompatible, 2 error.
    Compare(CompareArgs),
    /// The richest CPU every input CPU can run (libvirt-style `<cpu>`).
    Baseline(BaselineArgs),
    /// Decode a CPUID dump (libvirt `<cpudata>`, `cpuid -r` text, `-` for stdin) to a `<cpu>`.
    Decode(DecodeArgs),
    /// Every catalog model: usable on HOST or not, and what blocks it.
    Models(ModelsArgs),
    /// A model's full feature list.
    Expand(ExpandArgs),
    /// Answer QMP CPU-model commands on stdin/stdout, in QEMU's JSON shapes.
    Qmp(QmpArgs),
    /// Read any CPU XML form and print the CPU definitions found, normalized (a linter).
    Parse(ParseArgs),
    /// Catalog tools.
    #[command(subcommand)]
    Catalog(CatalogCommand),
}

/// `compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Host: host `<cpu>`, `virsh capabilities`, `<cpudata>` or `cpuid -r` dump.
    pub host: PathBuf,
    /// Guest: guest `<cpu>` or domain XML.
    pub guest: PathBuf,
}

/// `baseline`.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// Files holding one or more `<cpu>` elements.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// List every feature of the result (expand the model).
    #[arg(long)]
    pub features: bool,
    /// Drop features that block migration.
    #[arg(long)]
    pub migratable: bool,
    /// Restrict to the models (and blockers) of QEMU's `query-cpu-definitions` reply.
    #[arg(long, value_name = "FILE")]
    pub hypervisor_models: Option<PathBuf>,
    /// ppc64: the highest compat level every host supports, as a host-model guest.
    #[arg(long)]
    pub compat: bool,
}

/// Whether a decode produces a host or a guest definition.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeAs {
    /// Host CPU definition: no disabled features.
    Host,
    /// Guest CPU definition: require/disable policies.
    Guest,
}

/// `decode`.
#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// The dump; `-` reads stdin. Not needed with `--pvr`.
    #[arg(required_unless_present = "pvr", default_value = "-")]
    pub dump: PathBuf,
    /// Decode as a host or a guest CPU.
    #[arg(long = "as", value_enum, default_value = "host")]
    pub as_: DecodeAs,
    /// Restrict to the models (and blockers) of QEMU's `query-cpu-definitions` reply.
    #[arg(long, value_name = "FILE")]
    pub hypervisor_models: Option<PathBuf>,
    /// ppc64: decode this raw PVR instead of a dump (e.g. 0x004e1202).
    #[arg(long)]
    pub pvr: Option<String>,
}

/// `models`.
#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// The host; without it, list the catalog's models.
    pub host: Option<PathBuf>,
}

/// `expand`.
#[derive(Args, Debug)]
pub struct ExpandArgs {
    /// The model name.
    pub model: String,
}

/// `qmp`.
#[derive(Args, Debug)]
pub struct QmpArgs {
    /// s390x: answer as QEMU under KVM on this host (a host model file).
    #[arg(long, value_name = "FILE")]
    pub host_model: Option<PathBuf>,
}

/// `parse`.
#[derive(Args, Debug)]
pub struct ParseArgs {
    /// The file; `-` reads stdin.
    pub file: PathBuf,
}

/// `catalog ...`.
#[derive(Subcommand, Debug)]
pub enum CatalogCommand {
    /// Print the RON catalog of a libvirt cpu_map directory.
    Import {
        /// The cpu_map directory (holding index.xml).
        #[arg(long, value_name = "DIR")]
        cpu_map: PathBuf,
        /// Which architecture's catalog to print: x86 or ppc64.
        #[arg(long = "catalog-arch", default_value = "x86")]
        catalog_arch: String,
    },
}
