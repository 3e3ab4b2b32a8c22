//! The schema and reader of QEMU's POWER server CPU tables (`specs/catalog/ppc64-qemu.ron`,
//! newest upstream, and `specs/catalog/ppc64-qemu-7.2.ron`): compat modes, families,
//! classes (processor revisions), aliases and the order `query-cpu-definitions` lists the
//! classes in. The rules QEMU applies to them live in the ppc64 adapter
//! (`cpucompat_ppc64::qemu`); this module only reads and checks the data.
//!
//! # Reading
//! [`Table::from_ron`] goes through the crate's one RON reader: every syntax or schema
//! error (an unknown field or variant, a missing field, a number out of range) and every
//! broken cross-reference is a [`CatalogError::Input`] at the line and column of the value
//! at fault. The checks:
//!
//! ```text
//! compat mode, family, model names     unique
//! compat modes                         at most FeatureSet::CAPACITY (they are chain bits)
//! family.pcr_supported[i]              the pcr_level of some compat mode
//! model.family                         a family, whose bases hold model.pvr & server_mask
//! alias.model                          a model, or an alias listed before it
//! qmp_class_order (if Some)            every model exactly once
//! ```
//!
//! The build script reads both committed tables this way and writes them as statics
//! ([`crate::embedded::ppc64_qemu`], [`crate::embedded::ppc64_qemu_7_2`]), so a broken
//! committed table fails the build and run time parses no text.
use crate::error::CatalogError;
use crate::ron::{self, Pos, Value};
use std::borrow::Cow;

/// How a QEMU answers the CPU-model commands ppc does not implement
/// (`query-cpu-model-expansion`, `-comparison`, `-baseline`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelCommands {
    /// The commands are not built in: `CommandNotFound` (QEMU 7.2).
    CommandNotFound,
    /// The commands exist as stubs: `GenericError` "... is not supported on this target".
    GenericError,
}

/// The PVR matching rule of a family (QEMU's `pvr_match`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PvrMatch {
    /// Only the class's own PVR.
    Exact,
    /// Any PVR of the same processor version.
    Base,
    /// Same processor version and major DD level.
    MajorDd,
    /// Same processor version and DD class (POWER9 in newer QEMU).
    DdClass,
}

/// An architecture compat mode (`power6` ... `power11`), in chain order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatMode {
    /// The name, e.g. `power9`.
    pub name: Cow<'static, str>,
    /// The logical PVR a guest sees in this mode.
    pub logical_pvr: u32,
    /// The ISA level, e.g. `3.00`.
    pub isa: Cow<'static, str>,
    /// The PCR compat level the mode needs from the CPU.
    pub pcr_level: Cow<'static, str>,
    /// The most threads per core a guest in this mode may have.
    pub max_vthreads: u32,
}

/// A CPU family (`POWER8` covers POWER8, POWER8E and POWER8NVL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Family {
    /// The name, e.g. `POWER9`.
    pub name: Cow<'static, str>,
    /// The processor versions (`pvr & server_mask`) of the family's members.
    pub bases: Cow<'static, [u32]>,
    /// The family's own logical PVR, if it supports compat modes at all.
    pub logical_pvr: Option<u32>,
    /// The PCR levels the family supports.
    pub pcr_supported: Cow<'static, [Cow<'static, str>]>,
    /// The PVR matching rule.
    pub pvr_match: PvrMatch,
}

/// A QEMU CPU class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    /// The class name without the `-powerpc64-cpu` suffix.
    pub name: Cow<'static, str>,
    /// The class's PVR.
    pub pvr: u32,
    /// The index of its family in [`Table::families`].
    pub family: usize,
    /// QEMU's description, e.g. `POWER9 v2.2`.
    pub description: Cow<'static, str>,
}

/// An alias name and the name it stands for (a class, or an earlier alias).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    /// The alias, e.g. `power9`.
    pub alias: Cow<'static, str>,
    /// What it names.
    pub model: Cow<'static, str>,
}

/// A checked table: every cross-reference of the module documentation holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub(crate) release: Cow<'static, str>,
    pub(crate) qmp_version: (u32, u32, u32),
    pub(crate) refuse_newer_logical_pvr: bool,
    pub(crate) model_commands: ModelCommands,
    pub(crate) server_mask: u32,
    pub(crate) compat_modes: Cow<'static, [CompatMode]>,
    pub(crate) families: Cow<'static, [Family]>,
    pub(crate) models: Cow<'static, [Model]>,
    pub(crate) aliases: Cow<'static, [Alias]>,
    pub(crate) qmp_order: Cow<'static, [usize]>,
}

impl Table {
    /// Reads and checks a table; `file` names the text in errors.
    ///
    /// # Errors
    /// [`CatalogError::Input`] at the first syntax, schema or cross-reference error.
    pub fn from_ron(text: &str, file: &str) -> Result<Table, CatalogError> {
        ron::parse(text)
            .and_then(|v| read(&v))
            .map_err(|e| CatalogError::at(file, e))
    }

    /// The QEMU release, e.g. `7.2`.
    pub fn release(&self) -> &str {
        &self.release
    }
    /// The `(major, minor, micro)` the QMP greeting reports.
    pub fn qmp_version(&self) -> (u32, u32, u32) {
        self.qmp_version
    }
    /// Whether `pcc_compat` refuses a mode whose logical PVR exceeds the family's own.
    pub fn refuse_newer_logical_pvr(&self) -> bool {
        self.refuse_newer_logical_pvr
    }
    /// How the unimplemented CPU-model commands fail.
    pub fn model_commands(&self) -> ModelCommands {
        self.model_commands
    }
    /// The mask giving a PVR's processor version.
    pub fn server_mask(&self) -> u32 {
        self.server_mask
    }
    /// The compat modes, oldest first.
    pub fn compat_modes(&self) -> &[CompatMode] {
        &self.compat_modes
    }
    /// The families in table order.
    pub fn families(&self) -> &[Family] {
        &self.families
    }
    /// The classes in table order.
    pub fn models(&self) -> &[Model] {
        &self.models
    }
    /// The aliases in table order.
    pub fn aliases(&self) -> &[Alias] {
        &self.aliases
    }
    /// The indices of [`models`](Self::models) in `query-cpu-definitions` order.
    pub fn qmp_order(&self) -> &[usize] {
        &self.qmp_order
    }
}

fn err<T>(pos: Pos, message: String) -> ron::Result<T> {
    Err(ron::Error { pos, message })
}

fn text(v: &Value) -> ron::Result<Cow<'static, str>> {
    v.string().map(Cow::Owned)
}

fn read(v: &Value) -> ron::Result<Table> {
    let o = v.obj("QemuTable")?;
    o.only(&[
        "release",
        "qmp_version",
        "refuse_newer_logical_pvr",
        "model_commands",
        "server_mask",
        "compat_modes",
        "families",
        "models",
        "aliases",
        "qmp_class_order",
    ])?;
    let release = text(o.req("release")?)?;
    let qv = o.req("qmp_version")?.tuple(3)?;
    let qmp_version = (qv[0].uint("u32")?, qv[1].uint("u32")?, qv[2].uint("u32")?);
    let refuse_newer_logical_pvr = o.req("refuse_newer_logical_pvr")?.boolean()?;
    let model_commands = match o
        .req("model_commands")?
        .unit(&["CommandNotFound", "GenericError"])?
    {
        "CommandNotFound" => ModelCommands::CommandNotFound,
        _ => ModelCommands::GenericError,
    };
    let server_mask: u32 = o.req("server_mask")?.uint("u32")?;

    let mut modes: Vec<CompatMode> = Vec::new();
    for (i, v) in o.req("compat_modes")?.list()?.iter().enumerate() {
        let m = v.obj("CompatMode")?;
        m.only(&["name", "logical_pvr", "isa", "pcr_level", "max_vthreads"])?;
        let name = text(m.req("name")?)?;
        if modes.iter().any(|o| o.name == name) {
            return err(v.pos, format!("duplicate compat mode '{name}'"));
        }
        if i >= cpucompat_lattice::FeatureSet::CAPACITY {
            return err(v.pos, "too many compat modes".into());
        }
        modes.push(CompatMode {
            name,
            logical_pvr: m.req("logical_pvr")?.uint("u32")?,
            isa: text(m.req("isa")?)?,
            pcr_level: text(m.req("pcr_level")?)?,
            max_vthreads: m.req("max_vthreads")?.uint("u32")?,
        });
    }

    let mut families: Vec<Family> = Vec::new();
    for v in o.req("families")?.list()? {
        let f = v.obj("Family")?;
        f.only(&["name", "bases", "logical_pvr", "pcr_supported", "pvr_match"])?;
        let name = text(f.req("name")?)?;
        if families.iter().any(|o| o.name == name) {
            return err(v.pos, format!("duplicate family '{name}'"));
        }
        let bases = f
            .req("bases")?
            .list()?
            .iter()
            .map(|b| b.uint("u32"))
            .collect::<ron::Result<Vec<u32>>>()?;
        let logical_pvr = f
            .req("logical_pvr")?
            .option()?
            .map(|p| p.uint("u32"))
            .transpose()?;
        let mut pcr_supported = Vec::new();
        for l in f.req("pcr_supported")?.list()? {
            let lvl = text(l)?;
            if !modes.iter().any(|m| m.pcr_level == lvl) {
                return err(
                    l.pos,
                    format!("family '{name}' supports PCR level '{lvl}', which no compat mode has"),
                );
            }
            pcr_supported.push(lvl);
        }
        let pvr_match = match f
            .req("pvr_match")?
            .unit(&["Exact", "Base", "MajorDd", "DdClass"])?
        {
            "Exact" => PvrMatch::Exact,
            "Base" => PvrMatch::Base,
            "MajorDd" => PvrMatch::MajorDd,
            _ => PvrMatch::DdClass,
        };
        families.push(Family {
            name,
            bases: bases.into(),
            logical_pvr,
            pcr_supported: pcr_supported.into(),
            pvr_match,
        });
    }

    let mut models: Vec<Model> = Vec::new();
    for v in o.req("models")?.list()? {
        let m = v.obj("Model")?;
        m.only(&["name", "pvr", "family", "description"])?;
        let name = text(m.req("name")?)?;
        let pvr: u32 = m.req("pvr")?.uint("u32")?;
        let fv = m.req("family")?;
        let fname = text(fv)?;
        let Some(family) = families.iter().position(|f| f.name == fname) else {
            return err(
                fv.pos,
                format!("model '{name}' names unknown family '{fname}'"),
            );
        };
        if !families[family].bases.contains(&(pvr & server_mask)) {
            return err(
                v.pos,
                format!("model '{name}' has PVR {pvr:#010x}, outside family '{fname}'"),
            );
        }
        if models.iter().any(|o| o.name == name) {
            return err(v.pos, format!("duplicate model '{name}'"));
        }
        models.push(Model {
            name,
            pvr,
            family,
            description: text(m.req("description")?)?,
        });
    }

    let mut aliases: Vec<Alias> = Vec::new();
    for v in o.req("aliases")?.list()? {
        let a = v.obj("Alias")?;
        a.only(&["alias", "model"])?;
        let alias = text(a.req("alias")?)?;
        let mv = a.req("model")?;
        let model = text(mv)?;
        let known =
            models.iter().any(|m| m.name == model) || aliases.iter().any(|o| o.alias == model);
        if !known {
            return err(
                mv.pos,
                format!("alias '{alias}' names unknown model '{model}'"),
            );
        }
        aliases.push(Alias { alias, model });
    }

    let qmp_order = match o.get("qmp_class_order").map(Value::option).transpose()? {
        None | Some(None) => (0..models.len()).collect(),
        Some(Some(list)) => {
            let mut idx = Vec::new();
            for n in list.list()? {
                let name = n.string()?;
                match models.iter().position(|m| m.name == name) {
                    Some(i) if !idx.contains(&i) => idx.push(i),
                    _ => return err(n.pos, format!("qmp_class_order: bad entry '{name}'")),
                }
            }
            if idx.len() != models.len() {
                return err(
                    list.pos,
                    "qmp_class_order must list every model once".into(),
                );
            }
            idx
        }
    };

    Ok(Table {
        release,
        qmp_version,
        refuse_newer_logical_pvr,
        model_commands,
        server_mask,
        compat_modes: modes.into(),
        families: families.into(),
        models: models.into(),
        aliases: aliases.into(),
        qmp_order: qmp_order.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEWEST: &str = include_str!("../../../specs/catalog/ppc64-qemu.ron");
    const V7_2: &str = include_str!("../../../specs/catalog/ppc64-qemu-7.2.ron");

    fn error(text: &str) -> String {
        Table::from_ron(text, "t.ron").unwrap_err().to_string()
    }

    #[test]
    fn committed_tables_read() {
        let t = Table::from_ron(NEWEST, "ppc64-qemu.ron").unwrap();
        assert_eq!(t.release(), "10.2");
        assert_eq!(t.compat_modes().len(), 7);
        assert_eq!(t.qmp_order().len(), t.models().len());
        let m = &t.models()[6];
        assert_eq!(m.name, "power9_v2.0");
        assert_eq!(t.families()[m.family].name, "POWER9");
    }

    #[test]
    fn embedded_tables_equal_the_committed_files() {
        let newest = Table::from_ron(NEWEST, "ppc64-qemu.ron").unwrap();
        assert_eq!(crate::embedded::ppc64_qemu(), &newest);
        let old = Table::from_ron(V7_2, "ppc64-qemu-7.2.ron").unwrap();
        assert_eq!(crate::embedded::ppc64_qemu_7_2(), &old);
        assert_eq!(old.release(), "7.2");
        assert_ne!(old.qmp_order(), (0..old.models().len()).collect::<Vec<_>>());
    }

    #[test]
    fn broken_tables_are_refused_at_a_position() {
        assert_eq!(
            error("QemuTable("),
            "t.ron:1:11: unexpected end of the text, expected a value"
        );
        let text = NEWEST.replace("family: \"POWER9\"", "family: \"POWER99\"");
        assert_eq!(
            error(&text),
            "t.ron:39:61: model 'power9_v2.0' names unknown family 'POWER99'"
        );
        let text = NEWEST.replace("pvr_match: Base", "pvr_match: Loose");
        assert_eq!(
            error(&text),
            "t.ron:26:140: unknown variant 'Loose', expected one of Exact, Base, MajorDd, DdClass"
        );
        let text = NEWEST.replace("server_mask: 0xffff0000", "server_mask: 0x1ffff0000");
        assert_eq!(error(&text), "t.ron:14:18: 8589869056 does not fit a u32");
        let text = NEWEST.replace("model: \"power9_v2.2\"", "model: \"power9_v9\"");
        assert_eq!(
            error(&text),
            "t.ron:58:39: alias 'power9' names unknown model 'power9_v9'"
        );
    }
}
