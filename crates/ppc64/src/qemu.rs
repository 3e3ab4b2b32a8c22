//! QEMU's POWER server CPU tables: classes (processor revisions), aliases, families and
//! architecture compat modes, and the rules QEMU applies to them.
//!
//! # Data
//! The tables are data, not code: `specs/catalog/ppc64-qemu.ron` (newest upstream) and
//! `specs/catalog/ppc64-qemu-7.2.ron` (QEMU 7.2). The catalog crate reads and checks them
//! at build time with its one RON reader (`cpucompat_catalog::ppc64_qemu`: every
//! cross-reference, a model's family, a family's PCR levels, an alias's target, the QMP
//! class order) and embeds them as statics, so a broken committed table fails the build
//! with its file, line and column. At first use ([`QemuTable::newest`],
//! [`QemuTable::v7_2`]) a static is only copied into this module's types; no text is
//! parsed. [`QemuTable::parse`] reads other text the same way, at run time.
//!
//! # Rules
//! **Compat check** (QEMU's `pcc_compat`): a family `F` can run compat mode `M` iff
//!
//! ```text
//! F has a logical PVR,
//! not (refuse_newer_logical_pvr and M.logical_pvr > F.logical_pvr),
//! M.pcr_level ∈ F.pcr_supported
//! ```
//!
//! The second clause exists only in newer QEMU (it came with POWER11). Because power7+'s
//! logical PVR (`0x0f100003`) is numerically above POWER8's (`0x0f000004`), newest QEMU
//! accepts power7+ only on the POWER7 family, while 7.2 accepts it on POWER7 to POWER10.
//!
//! **Class lookup by name** (`ppc_cpu_class_by_name`): exactly 8 hex digits (after an
//! optional `0x`) look a class up by exact PVR; otherwise the name is lowercased, replaced
//! by its alias target if it is an alias (one level only), and must then name a class.
//!
//! **PVR match** (`pvr_match`, `best = true`), deciding which class a host PVR runs as and
//! whether a raw-mode guest's PVR may land on a class: equal PVRs always match; otherwise
//! both must have the same processor version (`pvr & server_mask`) and, by family rule:
//!
//! ```text
//! Exact    no further match
//! Base     same version suffices (POWER7 / POWER7+ are distinct versions)
//! MajorDd  same major DD level
//! DdClass  same major DD; DD1.x always; DD2.0/2.1 ↔ class minor 0, DD2.2+ ↔ class minor 2
//! ```
use crate::{Error, Pvr};
use cpucompat_catalog::ppc64_qemu::Table;
use cpucompat_catalog::CatalogError;
use cpucompat_lattice::{Bit, FeatureSet, Level};
use std::sync::OnceLock;

pub use cpucompat_catalog::ppc64_qemu::{ModelCommands, PvrMatch};

/// An architecture compat mode (`power6` ... `power11`): a point of the level chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatMode {
    name: String,
    logical_pvr: u32,
    isa: String,
    pcr_level: String,
    max_vthreads: u32,
    level: Level,
}

impl CompatMode {
    /// The name, e.g. `power9`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The logical PVR a guest sees in this mode, e.g. `0x0f000005`.
    pub fn logical_pvr(&self) -> Pvr {
        Pvr::new(self.logical_pvr)
    }
    /// The ISA level, e.g. `3.00`.
    pub fn isa(&self) -> &str {
        &self.isa
    }
    /// The PCR compat level the mode needs from the CPU.
    pub fn pcr_level(&self) -> &str {
        &self.pcr_level
    }
    /// The most threads per core a guest in this mode may have.
    pub fn max_vthreads(&self) -> u32 {
        self.max_vthreads
    }
    /// The mode's point on the compat chain (`power6` lowest); the chain is table order.
    pub fn level(&self) -> Level {
        self.level
    }
}

/// A CPU family (`POWER8` covers POWER8, POWER8E and POWER8NVL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Family {
    name: String,
    bases: Vec<u32>,
    logical_pvr: Option<u32>,
    pcr_supported: Vec<String>,
    pvr_match: PvrMatch,
}

impl Family {
    /// The name, e.g. `POWER9`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The family's own logical PVR, if it supports compat modes at all.
    pub fn logical_pvr(&self) -> Option<Pvr> {
        self.logical_pvr.map(Pvr::new)
    }
    /// The processor versions (`pvr & server_mask`) of the family's members.
    pub fn bases(&self) -> &[u32] {
        &self.bases
    }
    /// The family's PVR matching rule.
    pub fn pvr_match(&self) -> PvrMatch {
        self.pvr_match
    }
}

/// A QEMU CPU class (a processor revision such as `power9_v2.2`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QemuModel {
    name: String,
    pvr: u32,
    family: usize,
    description: String,
}

impl QemuModel {
    /// The class name without the `-powerpc64-cpu` suffix.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The class's PVR.
    pub fn pvr(&self) -> Pvr {
        Pvr::new(self.pvr)
    }
    /// The QOM type name, e.g. `power9_v2.2-powerpc64-cpu`.
    pub fn typename(&self) -> String {
        format!("{}-powerpc64-cpu", self.name)
    }
    /// QEMU's description, e.g. `POWER9 v2.2`.
    pub fn description(&self) -> &str {
        &self.description
    }
}

/// An alias name and the name it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    /// The alias, e.g. `power9`.
    pub alias: String,
    /// What it names (a class name, or, for dead aliases, another alias).
    pub model: String,
}

/// One `query-cpu-definitions` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuDefinition {
    /// The name (`power9` or `power9_v2.2`).
    pub name: String,
    /// The target QOM type for aliases; empty for classes (QEMU leaves it unset).
    pub typename: String,
}

/// Why `-machine pseries,max-cpu-compat=M -cpu C` fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MaxCompatError {
    /// `C` names no class.
    #[error("unknown CPU model '{0}'")]
    UnknownCpu(String),
    /// `M` is not a compat mode of this QEMU.
    #[error("invalid compatibility mode '{0}'")]
    InvalidMode(String),
    /// The CPU's family cannot run mode `M` (its logical PVR is given).
    #[error("compatibility PVR {0} is not valid for the CPU")]
    NotValidForCpu(Pvr),
}

impl MaxCompatError {
    /// The message QEMU itself prints for this failure.
    pub fn qemu_message(&self) -> String {
        match self {
            MaxCompatError::UnknownCpu(c) => format!("unable to find CPU model '{c}'"),
            MaxCompatError::InvalidMode(m) => format!("Invalid compatibility mode \"{m}\""),
            MaxCompatError::NotValidForCpu(p) => {
                format!("Compatibility PVR {p} not valid for CPU")
            }
        }
    }
}

/// A checked QEMU table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QemuTable {
    release: String,
    qmp_version: (u32, u32, u32),
    refuse_newer_logical_pvr: bool,
    model_commands: ModelCommands,
    server_mask: u32,
    modes: Vec<CompatMode>,
    families: Vec<Family>,
    models: Vec<QemuModel>,
    aliases: Vec<Alias>,
    qmp_order: Vec<usize>,
}

impl QemuTable {
    /// The newest upstream table (with POWER11), embedded at build time.
    ///
    /// # Errors
    /// None: the table was checked when the crate was built; the `Result` is kept for
    /// callers that treat every table alike.
    pub fn newest() -> Result<&'static QemuTable, Error> {
        static CELL: OnceLock<QemuTable> = OnceLock::new();
        Ok(CELL.get_or_init(|| QemuTable::from_checked(cpucompat_catalog::embedded::ppc64_qemu())))
    }

    /// QEMU 7.2's table, embedded at build time.
    ///
    /// # Errors
    /// None, as for [`newest`](Self::newest).
    pub fn v7_2() -> Result<&'static QemuTable, Error> {
        static CELL: OnceLock<QemuTable> = OnceLock::new();
        Ok(CELL
            .get_or_init(|| QemuTable::from_checked(cpucompat_catalog::embedded::ppc64_qemu_7_2())))
    }

    /// The table of a QEMU release named on the command line: none, `newest`, `master` or
    /// the newest table's release give the newest; `7.2` (or `7.2.x`) gives 7.2's.
    ///
    /// # Errors
    /// [`Error::UnknownQemuVersion`] for any other release.
    pub fn for_version(version: Option<&str>) -> Result<&'static QemuTable, Error> {
        let newest = QemuTable::newest()?;
        match version {
            None | Some("newest") | Some("master") => Ok(newest),
            Some(v) if v == newest.release => Ok(newest),
            Some(v) if v == "7.2" || v.starts_with("7.2.") => QemuTable::v7_2(),
            Some(v) => Err(Error::UnknownQemuVersion(v.to_string())),
        }
    }

    /// Reads and checks a table in the RON schema of `specs/catalog/ppc64-qemu*.ron`
    /// (`cpucompat_catalog::ppc64_qemu`); `name` names the text in errors.
    ///
    /// # Errors
    /// [`Error::Table`] with `line:column: what is wrong` at the first syntax, schema or
    /// cross-reference error.
    pub fn parse(name: &str, text: &str) -> Result<QemuTable, Error> {
        let table = Table::from_ron(text, name).map_err(|e| Error::Table {
            table: name.to_string(),
            message: match e {
                CatalogError::Input {
                    line,
                    column,
                    message,
                    ..
                } => format!("{line}:{column}: {message}"),
                other => other.to_string(),
            },
        })?;
        Ok(QemuTable::from_checked(&table))
    }

    /// This module's view of a checked catalog table: the compat modes become the level
    /// chain in table order.
    fn from_checked(t: &Table) -> QemuTable {
        QemuTable {
            release: t.release().to_string(),
            qmp_version: t.qmp_version(),
            refuse_newer_logical_pvr: t.refuse_newer_logical_pvr(),
            model_commands: t.model_commands(),
            server_mask: t.server_mask(),
            modes: t
                .compat_modes()
                .iter()
                .enumerate()
                .map(|(i, m)| CompatMode {
                    name: m.name.to_string(),
                    logical_pvr: m.logical_pvr,
                    isa: m.isa.to_string(),
                    pcr_level: m.pcr_level.to_string(),
                    max_vthreads: m.max_vthreads,
                    // At most FeatureSet::CAPACITY modes (checked by the reader).
                    level: Level::new(i as u32 + 1),
                })
                .collect(),
            families: t
                .families()
                .iter()
                .map(|f| Family {
                    name: f.name.to_string(),
                    bases: f.bases.to_vec(),
                    logical_pvr: f.logical_pvr,
                    pcr_supported: f.pcr_supported.iter().map(|l| l.to_string()).collect(),
                    pvr_match: f.pvr_match,
                })
                .collect(),
            models: t
                .models()
                .iter()
                .map(|m| QemuModel {
                    name: m.name.to_string(),
                    pvr: m.pvr,
                    family: m.family,
                    description: m.description.to_string(),
                })
                .collect(),
            aliases: t
                .aliases()
                .iter()
                .map(|a| Alias {
                    alias: a.alias.to_string(),
                    model: a.model.to_string(),
                })
                .collect(),
            qmp_order: t.qmp_order().to_vec(),
        }
    }

    /// The QEMU release, e.g. `7.2`.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// The `(major, minor, micro)` the QMP greeting reports.
    pub fn qmp_version(&self) -> (u32, u32, u32) {
        self.qmp_version
    }

    /// How the unimplemented CPU-model commands fail.
    pub fn model_commands(&self) -> ModelCommands {
        self.model_commands
    }

    /// The compat modes, oldest first: the level chain.
    pub fn compat_modes(&self) -> &[CompatMode] {
        &self.modes
    }

    /// The compat mode named `name` (exact, as QEMU's `max-cpu-compat` parser).
    pub fn compat_mode(&self, name: &str) -> Option<&CompatMode> {
        self.modes.iter().find(|m| m.name == name)
    }

    /// The compat mode at a level of the chain.
    pub fn mode_at(&self, level: Level) -> Option<&CompatMode> {
        self.modes.iter().find(|m| m.level == level)
    }

    /// The families.
    pub fn families(&self) -> &[Family] {
        &self.families
    }

    /// The family named `name`, case-insensitively (`POWER9`, `power9`).
    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The family whose processor versions include `pvr`'s.
    pub fn family_of_pvr(&self, pvr: Pvr) -> Option<&Family> {
        let base = pvr.value() & self.server_mask;
        self.families.iter().find(|f| f.bases.contains(&base))
    }

    /// The family of a class.
    pub fn family_of(&self, model: &QemuModel) -> &Family {
        &self.families[model.family]
    }

    /// The classes in table order.
    pub fn models(&self) -> &[QemuModel] {
        &self.models
    }

    /// The aliases in table order.
    pub fn aliases(&self) -> &[Alias] {
        &self.aliases
    }

    /// QEMU's `ppc_cpu_class_by_name`: see the module documentation.
    pub fn class_by_name(&self, name: &str) -> Option<&QemuModel> {
        let hex = name
            .strip_prefix("0x")
            .or_else(|| name.strip_prefix("0X"))
            .unwrap_or(name);
        if hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let pvr = u32::from_str_radix(hex, 16).ok()?;
            return self.models.iter().find(|m| m.pvr == pvr);
        }
        let lower = name.to_ascii_lowercase();
        let target = self
            .aliases
            .iter()
            .find(|a| a.alias == lower)
            .map_or(lower.as_str(), |a| a.model.as_str());
        self.models.iter().find(|m| m.name == target)
    }

    /// QEMU's `pvr_match(class, pvr)` with `best = true`: may a CPU with PVR `pvr` be
    /// represented by (or migrate onto) `class`?
    pub fn pvr_matches(&self, class: &QemuModel, pvr: Pvr) -> bool {
        if class.pvr == pvr.value() {
            return true;
        }
        let cls = Pvr::new(class.pvr);
        if pvr.value() & self.server_mask != class.pvr & self.server_mask {
            return false;
        }
        match self.families[class.family].pvr_match {
            PvrMatch::Exact => false,
            PvrMatch::Base => true,
            PvrMatch::MajorDd => pvr.dd_major() == cls.dd_major(),
            PvrMatch::DdClass => {
                if pvr.dd_major() != cls.dd_major() {
                    false
                } else {
                    match pvr.dd_major() {
                        1 => true,
                        2 if pvr.value() & 0xf < 2 => class.pvr & 0xf == 0,
                        2 => class.pvr & 0xf == 2,
                        _ => false,
                    }
                }
            }
        }
    }

    /// The class a host with this PVR runs as: exact PVR first, else the first class in
    /// table order that [`pvr_matches`](Self::pvr_matches).
    pub fn class_for_pvr(&self, pvr: Pvr) -> Option<&QemuModel> {
        self.models
            .iter()
            .find(|m| m.pvr == pvr.value())
            .or_else(|| self.models.iter().find(|m| self.pvr_matches(m, pvr)))
    }

    /// QEMU's `pcc_compat`: can `family` run a guest in compat mode `mode`?
    pub fn supports(&self, family: &Family, mode: &CompatMode) -> bool {
        let Some(own) = family.logical_pvr else {
            return false;
        };
        if self.refuse_newer_logical_pvr && mode.logical_pvr > own {
            return false;
        }
        family.pcr_supported.contains(&mode.pcr_level)
    }

    /// Every compat mode a family supports, as a set of chain positions (bit `i` is the
    /// mode of level `i + 1`).
    pub fn supported_modes(&self, family: &Family) -> FeatureSet {
        self.modes
            .iter()
            .enumerate()
            .filter(|(_, m)| self.supports(family, m))
            .filter_map(|(i, _)| Bit::new(i).ok())
            .collect()
    }

    /// The newest mode in a set made by [`supported_modes`](Self::supported_modes).
    pub fn highest_in(&self, set: &FeatureSet) -> Option<&CompatMode> {
        set.iter().last().and_then(|b| self.modes.get(b.index()))
    }

    /// `-machine pseries,max-cpu-compat=<compat> -cpu <cpu>`: the mode the vCPUs start in,
    /// or QEMU's failure.
    ///
    /// # Errors
    /// [`MaxCompatError::InvalidMode`] for a mode this QEMU lacks, [`MaxCompatError::UnknownCpu`]
    /// for a CPU it does not know, [`MaxCompatError::NotValidForCpu`] when the CPU's family
    /// cannot run the mode.
    pub fn max_cpu_compat(&self, cpu: &str, compat: &str) -> Result<&CompatMode, MaxCompatError> {
        let mode = self
            .compat_mode(compat)
            .ok_or_else(|| MaxCompatError::InvalidMode(compat.to_string()))?;
        let class = self
            .class_by_name(cpu)
            .ok_or_else(|| MaxCompatError::UnknownCpu(cpu.to_string()))?;
        if self.supports(self.family_of(class), mode) {
            Ok(mode)
        } else {
            Err(MaxCompatError::NotValidForCpu(mode.logical_pvr()))
        }
    }

    /// The `query-cpu-definitions` entries: aliases that resolve to a class, last alias
    /// first (QEMU prepends each to its list), then the classes in QMP order.
    pub fn cpu_definitions(&self) -> Vec<CpuDefinition> {
        let mut out = Vec::with_capacity(self.aliases.len() + self.models.len());
        // QEMU lists an alias when `ppc_cpu_class_by_name(alias->model)` finds a class,
        // and that lookup follows one more alias: `power5gs` → `power5+_v2.1` →
        // `power5p_v2.1` is listed (QEMU 10.0 does), though `-cpu power5gs` is refused.
        for a in self.aliases.iter().rev() {
            if let Some(m) = self.class_by_name(&a.model) {
                out.push(CpuDefinition {
                    name: a.alias.clone(),
                    typename: m.typename(),
                });
            }
        }
        for &i in &self.qmp_order {
            out.push(CpuDefinition {
                name: self.models[i].name.clone(),
                typename: String::new(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newest() -> &'static QemuTable {
        QemuTable::newest().unwrap()
    }
    fn old() -> &'static QemuTable {
        QemuTable::v7_2().unwrap()
    }

    #[test]
    fn embedded_tables_parse() {
        assert_eq!(newest().release(), "10.2");
        assert_eq!(old().release(), "7.2");
        assert_eq!(newest().compat_modes().len(), 7);
        assert_eq!(old().compat_modes().len(), 6);
    }

    #[test]
    fn levels_follow_table_order() {
        let t = newest();
        let names: Vec<&str> = t.compat_modes().iter().map(CompatMode::name).collect();
        assert_eq!(
            names,
            ["power6", "power7", "power7+", "power8", "power9", "power10", "power11"]
        );
        assert!(
            t.compat_mode("power7+").unwrap().level() > t.compat_mode("power7").unwrap().level()
        );
    }

    #[test]
    fn class_lookup_resolves_aliases_case_and_pvrs() {
        let t = newest();
        assert_eq!(t.class_by_name("power9").unwrap().name(), "power9_v2.2");
        assert_eq!(t.class_by_name("POWER9").unwrap().name(), "power9_v2.2");
        assert_eq!(t.class_by_name("0x004e1200").unwrap().name(), "power9_v2.0");
        assert_eq!(t.class_by_name("004D0200").unwrap().name(), "power8_v2.0");
        assert!(
            t.class_by_name("power5gs").is_none(),
            "dead alias in newest"
        );
        assert_eq!(
            old().class_by_name("power5gs").unwrap().name(),
            "power5+_v2.1"
        );
        assert_eq!(old().class_by_name("power9").unwrap().name(), "power9_v2.0");
        assert!(old().class_by_name("power11").is_none());
    }

    #[test]
    fn host_pvr_picks_class_by_dd_rule() {
        let t = newest();
        let cls = |p: u32| t.class_for_pvr(Pvr::new(p)).map(|m| m.name().to_string());
        assert_eq!(cls(0x004e_1201).as_deref(), Some("power9_v2.0"));
        assert_eq!(cls(0x004e_1203).as_deref(), Some("power9_v2.2"));
        assert_eq!(cls(0x004e_0100), None, "no DD1 class upstream");
        assert_eq!(cls(0x004d_0201).as_deref(), Some("power8_v2.0"));
        assert_eq!(cls(0x0082_1201).as_deref(), Some("power11_v2.0"));
        let o = |p: u32| {
            old()
                .class_for_pvr(Pvr::new(p))
                .map(|m| m.name().to_string())
        };
        assert_eq!(o(0x004e_1203).as_deref(), Some("power9_v2.0"));
        assert_eq!(o(0x0080_1200).as_deref(), Some("power10_v2.0"));
        assert_eq!(o(0x003b_0300), None, "POWER5+ matches exactly only");
    }

    #[test]
    fn max_cpu_compat_reports_qemu_messages() {
        let t = old();
        assert_eq!(
            t.max_cpu_compat("power9", "power8").unwrap().name(),
            "power8"
        );
        let e = t.max_cpu_compat("power8", "power9").unwrap_err();
        assert_eq!(
            e.qemu_message(),
            "Compatibility PVR 0x0f000005 not valid for CPU"
        );
        assert_eq!(
            e.to_string(),
            "compatibility PVR 0x0f000005 is not valid for the CPU"
        );
        let e = t.max_cpu_compat("power10", "power11").unwrap_err();
        assert_eq!(e.qemu_message(), "Invalid compatibility mode \"power11\"");
        let e = t.max_cpu_compat("nope", "power8").unwrap_err();
        assert_eq!(e.to_string(), "unknown CPU model 'nope'");
    }

    #[test]
    fn bad_tables_are_errors_naming_the_problem() {
        let newest_ron = include_str!("../../../specs/catalog/ppc64-qemu.ron");
        let text = newest_ron.replace("family: \"POWER9\"", "family: \"POWER99\"");
        let e = QemuTable::parse("t.ron", &text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "qemu table t.ron: 39:61: model 'power9_v2.0' names unknown family 'POWER99'"
        );
        let e = QemuTable::parse("t.ron", "QemuTable(").unwrap_err();
        assert_eq!(
            e.to_string(),
            "qemu table t.ron: 1:11: unexpected end of the text, expected a value"
        );
        let text = newest_ron.replace("max_vthreads: 2)", "max_vthreads: 2, smt: 4)");
        let e = QemuTable::parse("t.ron", &text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "qemu table t.ron: 16:110: unknown field 'smt' in CompatMode, expected one of \
             name, logical_pvr, isa, pcr_level, max_vthreads"
        );
    }

    #[test]
    fn embedded_tables_equal_a_run_time_read_of_the_committed_files() {
        let newest_ron = include_str!("../../../specs/catalog/ppc64-qemu.ron");
        let v7_2_ron = include_str!("../../../specs/catalog/ppc64-qemu-7.2.ron");
        assert_eq!(&QemuTable::parse("n", newest_ron).unwrap(), newest());
        assert_eq!(&QemuTable::parse("o", v7_2_ron).unwrap(), old());
    }

    #[test]
    fn unknown_qemu_version_is_an_error() {
        let e = QemuTable::for_version(Some("6.0")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown QEMU version '6.0' for ppc64: expected 7.2 or newest"
        );
        assert_eq!(
            QemuTable::for_version(Some("7.2.22")).unwrap().release(),
            "7.2"
        );
    }
}
