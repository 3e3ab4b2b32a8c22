//! The command line, as clap types. Each subcommand carries only the options it reads,
//! and its help says which input forms it accepts.
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Virtual-CPU compatibility decisions for x86, POWER and s390x: can this guest run on, or
/// migrate to, this host; what CPU can a whole pool of hosts offer.
#[derive(Parser, Debug)]
#[command(name = "cpucompat", version, about, long_about = None)]
pub struct Cli {
    /// Engine options may also come before the command (`cpucompat --arch s390x models`);
    /// the command's own win.
    #[command(flatten)]
    pub engine: Engine,
    /// Output format, also accepted before the command; the command's own wins.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// The command; none means `host`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Engine {
    /// These options, with `outer`'s filling what these leave out.
    pub fn or(&self, outer: &Engine) -> Engine {
        Engine {
            arch: self.arch.clone().or_else(|| outer.arch.clone()),
            cpu_map: self.cpu_map.clone().or_else(|| outer.cpu_map.clone()),
            qemu_version: self
                .qemu_version
                .clone()
                .or_else(|| outer.qemu_version.clone()),
        }
    }
}

/// Which engine decides: architecture and catalogs.
#[derive(Args, Debug, Clone, Default)]
pub struct Engine {
    /// Architecture: x86_64, ppc64 or s390x. Default: named by the inputs (an <arch>, a
    /// dump's arch, a POWER or s390x model name), else this machine's.
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// x86, ppc64: decide with this libvirt cpu_map directory instead of the embedded
    /// libvirt 12.8 map (`libvirt-11.3` selects the embedded 11.3 map).
    #[arg(long, value_name = "DIR")]
    pub cpu_map: Option<PathBuf>,
    /// s390x, ppc64: decide with the tables of this QEMU release: newest (default) or 7.2.
    #[arg(long, value_name = "V")]
    pub qemu_version: Option<String>,
}

/// Output formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable text, at most 100 columns.
    Text,
    /// libvirt-style XML.
    Xml,
    /// JSON.
    Json,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Report on this machine: CPU, model, vendor, signature, features, usable models.
    Host(HostArgs),
    /// Can GUEST run on HOST? Exit 0 identical or superset, 1 incompatible, 2 error.
    ///
    /// HOST: a host <cpu>, `virsh capabilities`, `virsh domcapabilities`, a <cpudata> dump,
    /// `cpuid -r` text (x86), a POWER /proc/cpuinfo, or QEMU's s390x host model (JSON).
    /// GUEST: a guest <cpu> or a domain XML (its <cpu>). The first CPU of each file counts.
    Compare(CompareArgs),
    /// The richest CPU every input CPU can run (libvirt-style <cpu>).
    ///
    /// Reads every <cpu> of every FILE (several per file, any wrapper, domain,
    /// capabilities), streamed; dumps are decoded as hosts. A <cpu> with <arch> is a host,
    /// one without a guest whose feature policies count.
    Baseline(BaselineArgs),
    /// Decode a CPU dump to a <cpu>: libvirt <cpudata>, `cpuid -r` text, a POWER
    /// /proc/cpuinfo, or `--pvr` (POWER); `-` reads stdin.
    Decode(DecodeArgs),
    /// Every catalog model: usable on HOST or not, and what blocks it (without HOST: the
    /// catalog's models). HOST takes the forms `compare` reads.
    Models(ModelsArgs),
    /// A model's full feature list and what the catalog knows about it.
    Expand(ExpandArgs),
    /// Answer QMP CPU-model commands on stdin/stdout, in QEMU's JSON shapes (s390x:
    /// query-cpu-definitions, -model-expansion, -comparison, -baseline; ppc64:
    /// query-cpu-definitions of the POWER5+-and-later server models).
    Qmp(QmpArgs),
    /// Read any CPU XML form and print the definitions found, normalized (a linter).
    Parse(ParseArgs),
    /// Catalog tools.
    #[command(subcommand)]
    Catalog(CatalogCommand),
}

/// `host`.
#[derive(Args, Debug, Default)]
pub struct HostArgs {
    #[command(flatten)]
    pub engine: Engine,
    /// Output format (text by default; xml prints the host <cpu>).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// List every feature and every model with all its blockers.
    #[arg(long, short)]
    pub verbose: bool,
    /// x86: `host` is this machine's CPU as `virsh capabilities` reports it (CPUID and the
    /// feature MSRs); `kvm` is the host-model a KVM guest gets, as `virsh domcapabilities
    /// --virttype kvm` reports it (QEMU 7.2's rules; use `--cpu-map libvirt-11.3` to
    /// match libvirt 11.3).
    #[arg(long, value_enum, default_value = "host")]
    pub view: View,
    /// x86: report on a recorded machine (a host record JSON) instead of this one.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

/// The views of `host`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The host CPU (`virsh capabilities`).
    #[default]
    Host,
    /// The KVM host-model (`virsh domcapabilities --virttype kvm`).
    Kvm,
}

/// `compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// HOST and GUEST; with `--hypervisor`, GUEST alone.
    #[arg(required = true, num_args = 1..=2, value_name = "HOST GUEST")]
    pub files: Vec<PathBuf>,
    /// x86, s390x: answer as libvirt's `hypervisor-cpu-compare` on the host this file
    /// describes: libvirt's QEMU capabilities cache (`<qemuCaps>`) or `virsh
    /// domcapabilities` output.
    #[arg(long, value_name = "FILE")]
    pub hypervisor: Option<PathBuf>,
    /// With `--hypervisor`: the accelerator, kvm or tcg (`qemu` is tcg); default kvm when
    /// the cache says QEMU can use it.
    #[arg(long, value_name = "ACCEL")]
    pub accel: Option<String>,
    #[command(flatten)]
    pub engine: Engine,
    /// Output format: text (default) or json.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// List every extra host feature instead of the first few.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `baseline`.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// Files holding one or more CPUs; `-` reads stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub engine: Engine,
    /// Output format: xml (default) or json.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// x86, s390x: list every feature of the result (expand the model).
    #[arg(long)]
    pub features: bool,
    /// x86: drop features that block migration.
    #[arg(long)]
    pub migratable: bool,
    /// x86: restrict to the models (and blockers) of QEMU's `query-cpu-definitions` reply.
    #[arg(long, value_name = "FILE")]
    pub hypervisor_models: Option<PathBuf>,
    /// ppc64: the highest compat mode every host supports, as a host-model guest.
    #[arg(long)]
    pub compat: bool,
    /// x86, s390x: answer as libvirt's `hypervisor-cpu-baseline` on the host this file
    /// describes (libvirt's QEMU capabilities cache or `virsh domcapabilities`).
    #[arg(long, value_name = "FILE")]
    pub hypervisor: Option<PathBuf>,
    /// With `--hypervisor`: the accelerator, kvm or tcg; default kvm when available.
    #[arg(long, value_name = "ACCEL")]
    pub accel: Option<String>,
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
    #[command(flatten)]
    pub engine: Engine,
    /// Output format: xml (default), json, or text (a summary).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Decode as a host or a guest CPU.
    #[arg(long = "as", value_enum, default_value = "host")]
    pub as_: DecodeAs,
    /// x86: restrict to the models (and blockers) of QEMU's `query-cpu-definitions` reply.
    #[arg(long, value_name = "FILE")]
    pub hypervisor_models: Option<PathBuf>,
    /// ppc64: decode this PVR instead of a dump (e.g. 0x004e1202).
    #[arg(long)]
    pub pvr: Option<String>,
}

/// `models`.
#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// The host; without it, list the catalog's models.
    pub host: Option<PathBuf>,
    #[command(flatten)]
    pub engine: Engine,
    /// Output format: text (default) or json.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Every blocker of every model, not only the first few.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `expand`.
#[derive(Args, Debug)]
pub struct ExpandArgs {
    /// The model name.
    pub model: String,
    #[command(flatten)]
    pub engine: Engine,
    /// Output format: text (default: one feature per line), json, or xml (x86: what
    /// `virsh cpu-baseline --features` prints for one CPU of the model; s390x: the static
    /// expansion).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// `qmp`.
#[derive(Args, Debug)]
pub struct QmpArgs {
    #[command(flatten)]
    pub engine: Engine,
    /// s390x: answer as QEMU under KVM on this host (QEMU's host model as JSON).
    #[arg(long, value_name = "FILE")]
    pub host_model: Option<PathBuf>,
}

/// `parse`.
#[derive(Args, Debug)]
pub struct ParseArgs {
    /// The file; `-` reads stdin.
    pub file: PathBuf,
    /// Output format: xml (default) or json.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
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
