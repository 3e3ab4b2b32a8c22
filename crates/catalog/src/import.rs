//! The importer of a libvirt `cpu_map` directory.
//!
//! `index.xml` holds one `<arch name=...>` per architecture; inside, `<include
//! filename=.../>` elements, directly or inside `<group>`s, name the data files. Model order
//! is the document order of those includes (libvirt walks `include | group/include`), and
//! feature order is the order of `x86_features.xml`. Each data file has a `<cpus>` root
//! holding any of:
//!
//! * `<vendor name= [string=]/>` (x86 vendors carry their 12-character CPUID string);
//! * `<feature name= [migratable='no']>` with `<alias name= source=/>` children and exactly
//!   one `<cpuid eax_in= [ecx_in=] eax|ebx|ecx|edx=/>` or `<msr index= eax= edx=/>` whose
//!   masks hold exactly one set bit in one register: that bit is the feature's location;
//! * `<model name=>` with `<model name=/>` (the parent), `<vendor name=/>`, `<decode host=
//!   guest=/>`, `<check partial='compat'/>`, `<signature family= model= [stepping=]/>`,
//!   `<feature name= [removed='yes' | added='yes']/>` and `<pvr value= [mask=]/>`.
//!
//! The importer copies what the files say, close to the source; inheritance is resolved
//! by compilation. The XML is read in one pass by the xml crate's pull [`Reader`] (no DTD,
//! only the predefined entities, linear positions): every error names the file, line and
//! column. Anything unexpected (an unknown element or attribute value, a mask with no or
//! several bits) is an error, not silently skipped. A file that is not well formed is
//! reported as such before anything its content gets wrong, wherever the two are.
//!
//! Names are checked where they are met: a duplicate vendor, feature, alias or model is
//! refused at its element; a model's reference to a name not defined yet is kept, with its
//! position, and checked once every file is read (a parent may come later). Compilation
//! checks the rest (cycles, bits) and repeats these checks for catalogs from RON.
use crate::compile::NameHasher;
use crate::error::CatalogError;
use crate::schema::{
    Alias, Arch, Catalog, Decode, Feature, Location, Model, Pvr, Reg, Signature, Vendor,
};
use cpucompat_xml::{Element, ErrorKind, Limits, Pos, Reader, XmlError};
use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::io::Read;
use std::path::Path;

/// The largest cpu_map file read, in bytes.
const MAX_FILE: usize = 16 << 20;

/// The limits of one cpu_map file.
const LIMITS: Limits = Limits {
    max_bytes: MAX_FILE,
    max_depth: 64,
    max_elements: 1_000_000,
};

/// Reads the libvirt cpu_map directory `dir` into a catalog of `arch` (x86 or ppc64).
///
/// # Errors
/// A file that cannot be read, is not well-formed XML, or does not say what the module
/// documentation requires (file, line and column); an index without the architecture.
pub fn import_cpu_map(dir: &Path, arch: Arch) -> Result<Catalog, CatalogError> {
    import_with(dir, arch, &read)
}

/// The importer over any file source: `read` gives the bytes of a path under `dir`.
pub(crate) fn import_with(
    dir: &Path,
    arch: Arch,
    read: &dyn Fn(&Path) -> Result<Vec<u8>, CatalogError>,
) -> Result<Catalog, CatalogError> {
    let index_path = dir.join("index.xml");
    let index_name = index_path.display().to_string();
    let arch_name = match arch {
        Arch::X86 => "x86",
        Arch::Ppc64 => "ppc64",
        Arch::S390x => {
            return Err(CatalogError::NoArch {
                file: index_name,
                arch: "s390x".into(),
            })
        }
    };
    let bytes = read(&index_path)?;
    let files = Xml::read(&index_name, &bytes, |x| x.index(arch_name))?.ok_or_else(|| {
        CatalogError::NoArch {
            file: index_name.clone(),
            arch: arch_name.into(),
        }
    })?;
    let dir_name = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let mut cat = Catalog {
        arch,
        source: format!("libvirt cpu_map ({dir_name})"),
        vendors: Vec::new(),
        features: Vec::new(),
        models: Vec::new(),
    };
    let mut defs = Definitions::default();
    let mut names = Vec::with_capacity(files.len());
    for file in &files {
        let path = dir.join(file);
        let name = path.display().to_string();
        let bytes = read(&path)?;
        let index = names.len();
        Xml::read(&name, &bytes, |x| x.data(index, &mut cat, &mut defs))?;
        names.push(name);
    }
    defs.check(&cat, &names)?;
    Ok(cat)
}

fn read(path: &Path) -> Result<Vec<u8>, CatalogError> {
    let mut buf = Vec::new();
    // One byte beyond the limit lets the reader report the file as too large.
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE as u64 + 1).read_to_end(&mut buf))
        .map_err(|source| CatalogError::Io {
            path: path.display().to_string(),
            source,
        })?;
    Ok(buf)
}

/// What a model refers to by name.
#[derive(Clone, Copy)]
enum RefKind {
    Parent,
    Vendor,
    Feature,
}

/// A name a model refers to that was not defined when it was met: the model's index in
/// the catalog, and where (file index, position).
struct Ref {
    kind: RefKind,
    model: usize,
    name: String,
    file: usize,
    at: Pos,
}

/// A kind of defined name.
#[derive(Clone, Copy)]
enum Kind {
    Vendor,
    Feature,
    Alias,
    Model,
}

type NameSet = HashSet<String, BuildHasherDefault<NameHasher>>;

/// The names defined so far, and the references still to check.
#[derive(Default)]
struct Definitions {
    vendors: NameSet,
    features: NameSet,
    aliases: NameSet,
    models: NameSet,
    refs: Vec<Ref>,
}

impl Definitions {
    /// Defines `name`; a duplicate is an error at `at`.
    fn define(&mut self, kind: Kind, name: &str, file: File, at: Pos) -> Result<(), CatalogError> {
        // Feature names and aliases share one namespace.
        let clash = matches!(kind, Kind::Feature | Kind::Alias)
            && (self.features.contains(name) || self.aliases.contains(name));
        let (set, what) = match kind {
            Kind::Vendor => (&mut self.vendors, "vendor"),
            Kind::Feature => (&mut self.features, "feature"),
            Kind::Alias => (&mut self.aliases, "feature"),
            Kind::Model => (&mut self.models, "model"),
        };
        if clash || !set.insert(name.to_string()) {
            return Err(file.at(at, format!("duplicate {what} '{name}'")));
        }
        Ok(())
    }

    fn set(&self, kind: RefKind) -> (&NameSet, &'static str) {
        match kind {
            RefKind::Parent => (&self.models, "parent model"),
            RefKind::Vendor => (&self.vendors, "vendor"),
            RefKind::Feature => (&self.features, "feature"),
        }
    }

    /// Notes a reference of model `model` (its index in the catalog) to `name` at `at` of
    /// file `file`, unless `name` is defined already.
    fn refer(&mut self, kind: RefKind, model: usize, name: &str, file: usize, at: Pos) {
        if !self.set(kind).0.contains(name) {
            self.refs.push(Ref {
                kind,
                model,
                name: name.to_string(),
                file,
                at,
            });
        }
    }

    /// The first reference, in file order, to a name no file defines.
    fn check(&self, cat: &Catalog, files: &[String]) -> Result<(), CatalogError> {
        for r in &self.refs {
            let (set, what) = self.set(r.kind);
            if !set.contains(&r.name) {
                let model = cat.models.get(r.model).map_or("", |m| m.name.as_str());
                let file = File {
                    name: files.get(r.file).map_or("", String::as_str),
                };
                return Err(file.at(
                    r.at,
                    format!("model '{model}': unknown {what} '{}'", r.name),
                ));
            }
        }
        Ok(())
    }
}

/// A cpu_map file's name, and the errors about its elements.
#[derive(Clone, Copy)]
struct File<'a> {
    name: &'a str,
}

impl File<'_> {
    fn at(self, pos: Pos, message: String) -> CatalogError {
        CatalogError::Input {
            file: self.name.to_string(),
            line: pos.line,
            column: pos.column,
            message,
        }
    }

    fn xml(self, e: XmlError) -> CatalogError {
        let message = match e.kind() {
            ErrorKind::Dtd => "bad xml: a dtd is not allowed".to_string(),
            ErrorKind::TooLarge { limit } => format!("file is larger than {limit} bytes"),
            kind => format!("bad xml: {kind}"),
        };
        self.at(e.pos(), message)
    }

    fn err(self, e: &Element, message: String) -> CatalogError {
        self.at(e.pos(), message)
    }

    fn unexpected(self, e: &Element, expected: &str) -> CatalogError {
        self.err(
            e,
            format!(
                "unexpected element <{}>, expected {expected}",
                e.local_name()
            ),
        )
    }

    fn attr<'e>(self, e: &Element<'e>, name: &str) -> Result<Cow<'e, str>, CatalogError> {
        e.attr(name).ok_or_else(|| {
            self.err(
                e,
                format!("<{}> needs a '{name}' attribute", e.local_name()),
            )
        })
    }

    /// An error about attribute `name` of `e`, placed at its value (or at `e` when the
    /// attribute is missing).
    fn bad_attr(self, e: &Element, name: &str, expected: &str) -> CatalogError {
        let value = e.attr(name).unwrap_or_default();
        self.at(
            e.value_pos(name).unwrap_or(e.pos()),
            format!("attribute '{name}': expected {expected}, found '{value}'"),
        )
    }

    fn number(self, e: &Element, name: &str) -> Result<u32, CatalogError> {
        let s = self.attr(e, name)?;
        parse_u32(&s).ok_or_else(|| self.bad_attr(e, name, "a decimal or 0x-hex 32-bit number"))
    }

    fn opt_number(self, e: &Element, name: &str) -> Result<u32, CatalogError> {
        match e.attr(name) {
            None => Ok(0),
            Some(_) => self.number(e, name),
        }
    }

    fn flag(
        self,
        e: &Element,
        name: &str,
        yes: &str,
        no: &str,
    ) -> Result<Option<bool>, CatalogError> {
        match e.attr(name) {
            None => Ok(None),
            Some(v) if v == yes => Ok(Some(true)),
            Some(v) if v == no => Ok(Some(false)),
            Some(_) => Err(self.bad_attr(e, name, &format!("'{yes}' or '{no}'"))),
        }
    }

    fn include(self, e: &Element) -> Result<String, CatalogError> {
        let f = self.attr(e, "filename")?;
        if f.is_empty() || f.contains(['/', '\\']) || f == "." || f == ".." {
            return Err(self.bad_attr(e, "filename", "a file name without directories"));
        }
        Ok(f.into_owned())
    }

    /// A child of `<arch>`: an include, or a group whose includes follow.
    fn arch_child(self, e: &Element) -> Result<Option<String>, CatalogError> {
        match e.local_name() {
            "include" => self.include(e).map(Some),
            "group" => Ok(None),
            _ => Err(self.unexpected(e, "<include> or <group>")),
        }
    }

    fn group_child(self, e: &Element) -> Result<String, CatalogError> {
        if e.local_name() != "include" {
            return Err(self.unexpected(e, "<include>"));
        }
        self.include(e)
    }

    fn vendor(self, e: &Element) -> Result<Vendor, CatalogError> {
        Ok(Vendor {
            name: self.attr(e, "name")?.into_owned(),
            string: e.attr("string").map(Cow::into_owned),
        })
    }

    /// A child of `<feature name=...>`: an alias, or a location.
    fn feature_child(self, c: &Element, name: &str) -> Result<FeatureChild, CatalogError> {
        Ok(match c.local_name() {
            "alias" => FeatureChild::Alias(Alias {
                name: self.attr(c, "name")?.into_owned().into(),
                source: self.attr(c, "source")?.into_owned().into(),
            }),
            "cpuid" => {
                let leaf = self.number(c, "eax_in")?;
                let subleaf = self.opt_number(c, "ecx_in")?;
                let regs = [
                    (Reg::Eax, self.opt_number(c, "eax")?),
                    (Reg::Ebx, self.opt_number(c, "ebx")?),
                    (Reg::Ecx, self.opt_number(c, "ecx")?),
                    (Reg::Edx, self.opt_number(c, "edx")?),
                ];
                let (reg, bit) = self.one_bit(c, name, &regs)?;
                FeatureChild::Location(
                    Location::Cpuid {
                        leaf,
                        subleaf,
                        reg,
                        bit,
                    },
                    c.pos(),
                )
            }
            "msr" => {
                let index = self.number(c, "index")?;
                let regs = [
                    (Reg::Eax, self.opt_number(c, "eax")?),
                    (Reg::Edx, self.opt_number(c, "edx")?),
                ];
                let (reg, bit) = self.one_bit(c, name, &regs)?;
                FeatureChild::Location(Location::Msr { index, reg, bit }, c.pos())
            }
            _ => return Err(self.unexpected(c, "<alias>, <cpuid> or <msr>")),
        })
    }

    /// The single set bit of a CPUID or MSR mask.
    fn one_bit(
        self,
        e: &Element,
        name: &str,
        regs: &[(Reg, u32)],
    ) -> Result<(Reg, u8), CatalogError> {
        let mut set = regs.iter().filter(|(_, v)| *v != 0);
        match (set.next(), set.next()) {
            (Some(&(reg, v)), None) if v.count_ones() == 1 => Ok((reg, v.trailing_zeros() as u8)),
            _ => Err(self.err(
                e,
                format!("feature '{name}': expected exactly one bit set in one register"),
            )),
        }
    }

    /// A child of `<model>`, applied to `m`; references go to `defs`.
    fn model_child(
        self,
        c: &Element,
        m: &mut Model,
        at: ModelAt,
        defs: &mut Definitions,
    ) -> Result<(), CatalogError> {
        let twice = |what: &str| self.err(c, format!("model '{}': more than one <{what}>", m.name));
        let mut refer = |kind, name: &str| defs.refer(kind, at.model, name, at.file, c.pos());
        match c.local_name() {
            "model" => {
                if m.parent.is_some() {
                    return Err(twice("model"));
                }
                let parent = self.attr(c, "name")?.into_owned();
                refer(RefKind::Parent, &parent);
                m.parent = Some(parent);
            }
            "vendor" => {
                if m.vendor.is_some() {
                    return Err(twice("vendor"));
                }
                let vendor = self.attr(c, "name")?.into_owned();
                refer(RefKind::Vendor, &vendor);
                m.vendor = Some(vendor);
            }
            "decode" => {
                if m.decode.is_some() {
                    return Err(twice("decode"));
                }
                let host = self.flag(c, "host", "on", "off")?;
                let guest = self.flag(c, "guest", "on", "off")?;
                m.decode = Some(Decode {
                    host: host.ok_or_else(|| self.bad_attr(c, "host", "'on' or 'off'"))?,
                    guest: guest.ok_or_else(|| self.bad_attr(c, "guest", "'on' or 'off'"))?,
                });
            }
            "check" => {
                if self.attr(c, "partial")? != "compat" {
                    return Err(self.bad_attr(c, "partial", "'compat'"));
                }
                m.check_compat = true;
            }
            "signature" => {
                let steppings = match c.attr("stepping") {
                    None => Vec::new(),
                    Some(s) => parse_ranges(&s).ok_or_else(|| {
                        self.bad_attr(c, "stepping", "stepping ranges such as '0-4' or '1,3'")
                    })?,
                };
                m.signatures.push(Signature {
                    family: self.number(c, "family")?,
                    model: self.number(c, "model")?,
                    steppings: steppings.into(),
                });
            }
            "feature" => {
                let name = self.attr(c, "name")?.into_owned();
                let removed = self.flag(c, "removed", "yes", "no")?.unwrap_or(false);
                let added = self.flag(c, "added", "yes", "no")?.unwrap_or(false);
                refer(RefKind::Feature, &name);
                match (removed, added) {
                    (false, false) => m.features.push(name),
                    (true, false) => m.removed.push(name),
                    (false, true) => m.added.push(name),
                    (true, true) => {
                        return Err(self.err(
                            c,
                            format!("feature '{name}': both removed='yes' and added='yes'"),
                        ))
                    }
                }
            }
            "pvr" => {
                let value = self.number(c, "value")?;
                let mask = match c.attr("mask") {
                    None => u32::MAX,
                    Some(_) => self.number(c, "mask")?,
                };
                m.pvrs.push(Pvr { value, mask });
            }
            _ => {
                return Err(self.unexpected(
                    c,
                    "<model>, <vendor>, <decode>, <check>, <signature>, <feature> or <pvr>",
                ))
            }
        }
        Ok(())
    }
}

/// Where a model is: its index in the catalog and the index of its file.
#[derive(Clone, Copy)]
struct ModelAt {
    model: usize,
    file: usize,
}

/// A child of a `<feature>`.
enum FeatureChild {
    Alias(Alias),
    Location(Location, Pos),
}

/// A child of a data file's `<cpus>`, read from its start tag.
enum Item {
    Vendor(Vendor, Pos),
    Feature(String, bool, Pos),
    Model(String, Pos),
}

/// One cpu_map file being read.
struct Xml<'a> {
    file: File<'a>,
    r: Reader<&'a [u8]>,
}

impl<'a> Xml<'a> {
    /// Reads the file `bytes` (named `name`) with `body`, which starts at the document;
    /// the rest of the file is checked after `body` is done, and a syntax error anywhere
    /// in the file wins over what `body` found wrong.
    fn read<T>(
        name: &'a str,
        bytes: &'a [u8],
        body: impl FnOnce(&mut Xml<'a>) -> Result<T, CatalogError>,
    ) -> Result<T, CatalogError> {
        let mut x = Xml {
            file: File { name },
            r: Reader::new(bytes, LIMITS),
        };
        let got = body(&mut x);
        let file = x.file;
        x.r.finish().map_err(|e| file.xml(e))?;
        got
    }

    /// The next child of the current element, `None` after its end: `f` reads its start
    /// tag; its content follows.
    fn child<T>(
        &mut self,
        f: impl FnOnce(File<'a>, &Element) -> T,
    ) -> Result<Option<T>, CatalogError> {
        let file = self.file;
        self.r.next_child(|e| f(file, e)).map_err(|e| file.xml(e))
    }

    /// Skips the rest of the element whose start tag was just read.
    fn skip(&mut self) -> Result<(), CatalogError> {
        let file = self.file;
        self.r.skip_element().map_err(|e| file.xml(e))
    }

    /// Opens the root element, which must be `<cpus>`.
    fn root(&mut self) -> Result<(), CatalogError> {
        let root = self.child(|f, e| {
            if e.local_name() == "cpus" {
                Ok(())
            } else {
                Err(f.unexpected(e, "<cpus>"))
            }
        })?;
        // a file without elements is the reader's error, reported by `read`
        root.unwrap_or(Ok(()))
    }

    /// The data files `index.xml` names for `arch`, `None` when it has no such `<arch>`.
    fn index(&mut self, arch: &str) -> Result<Option<Vec<String>>, CatalogError> {
        self.root()?;
        let mut files = None;
        while let Some(found) = self
            .child(|_, e| e.local_name() == "arch" && e.attr("name").is_some_and(|n| n == arch))?
        {
            if found && files.is_none() {
                files = Some(self.includes()?);
            } else {
                self.skip()?;
            }
        }
        Ok(files)
    }

    /// The includes of an `<arch>`, directly or in groups, in document order.
    fn includes(&mut self) -> Result<Vec<String>, CatalogError> {
        let mut files = Vec::new();
        while let Some(child) = self.child(File::arch_child)? {
            match child? {
                Some(file) => {
                    files.push(file);
                    self.skip()?;
                }
                None => {
                    while let Some(file) = self.child(File::group_child)? {
                        files.push(file?);
                        self.skip()?;
                    }
                }
            }
        }
        Ok(files)
    }

    /// A data file (the `index`-th): its vendors, features and models go to `cat`.
    fn data(
        &mut self,
        index: usize,
        cat: &mut Catalog,
        defs: &mut Definitions,
    ) -> Result<(), CatalogError> {
        self.root()?;
        let file = self.file;
        while let Some(item) = self.child(|f, e| -> Result<Item, CatalogError> {
            Ok(match e.local_name() {
                "vendor" => Item::Vendor(f.vendor(e)?, e.pos()),
                "feature" => Item::Feature(
                    f.attr(e, "name")?.into_owned(),
                    f.flag(e, "migratable", "yes", "no")?.unwrap_or(true),
                    e.pos(),
                ),
                "model" => Item::Model(f.attr(e, "name")?.into_owned(), e.pos()),
                _ => return Err(f.unexpected(e, "<vendor>, <feature> or <model>")),
            })
        })? {
            match item? {
                Item::Vendor(v, at) => {
                    self.skip()?;
                    defs.define(Kind::Vendor, &v.name, file, at)?;
                    cat.vendors.push(v);
                }
                Item::Feature(name, migratable, at) => {
                    let f = self.feature(name, migratable, at)?;
                    defs.define(Kind::Feature, &f.name, file, at)?;
                    for (i, a) in f.aliases.iter().enumerate() {
                        // the same alias twice on one feature (two sources) is one name
                        if f.aliases[..i].iter().all(|b| b.name != a.name) {
                            defs.define(Kind::Alias, &a.name, file, at)?;
                        }
                    }
                    cat.features.push(f);
                }
                Item::Model(name, at) => {
                    let m = self.model(
                        name,
                        ModelAt {
                            model: cat.models.len(),
                            file: index,
                        },
                        defs,
                    )?;
                    defs.define(Kind::Model, &m.name, file, at)?;
                    cat.models.push(m);
                }
            }
        }
        Ok(())
    }

    fn feature(
        &mut self,
        name: String,
        migratable: bool,
        at: Pos,
    ) -> Result<Feature, CatalogError> {
        let mut aliases = Vec::new();
        let mut location = None;
        while let Some(child) = self.child(|f, c| f.feature_child(c, &name))? {
            match child? {
                FeatureChild::Alias(a) => aliases.push(a),
                FeatureChild::Location(loc, pos) => {
                    if location.is_some() {
                        return Err(self.file.at(
                            pos,
                            format!("feature '{name}': expected exactly one <cpuid> or <msr>"),
                        ));
                    }
                    location = Some(loc);
                }
            }
            self.skip()?;
        }
        let location = location.ok_or_else(|| {
            self.file.at(
                at,
                format!("feature '{name}': expected a <cpuid> or <msr> child"),
            )
        })?;
        Ok(Feature {
            name,
            location,
            migratable,
            aliases,
        })
    }

    fn model(
        &mut self,
        name: String,
        at: ModelAt,
        defs: &mut Definitions,
    ) -> Result<Model, CatalogError> {
        let mut m = Model {
            name,
            parent: None,
            vendor: None,
            decode: None,
            check_compat: false,
            signatures: Vec::new(),
            features: Vec::new(),
            removed: Vec::new(),
            added: Vec::new(),
            pvrs: Vec::new(),
        };
        while let Some(done) = self.child(|f, c| f.model_child(c, &mut m, at, defs))? {
            done?;
            self.skip()?;
        }
        Ok(m)
    }
}

/// `0x`-prefixed hex or decimal.
fn parse_u32(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(h, 16).ok()
        }
        Some(_) => None,
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// libvirt's bitmap syntax restricted to what signatures use: `a-b` or `a`, comma
/// separated, each value at most 255.
fn parse_ranges(s: &str) -> Option<Vec<(u8, u8)>> {
    s.split(',')
        .map(|part| {
            let part = part.trim();
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (part, part),
            };
            let num = |t: &str| -> Option<u8> {
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                    None
                } else {
                    t.parse().ok()
                }
            };
            Some((num(lo)?, num(hi)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_in_hex_and_decimal_only() {
        assert_eq!(parse_u32("0x0000000a"), Some(10));
        assert_eq!(parse_u32("94"), Some(94));
        assert_eq!(parse_u32("0x"), None);
        assert_eq!(parse_u32("-1"), None);
        assert_eq!(parse_u32("0x100000000"), None);
        assert_eq!(parse_u32(""), None);
    }

    #[test]
    fn stepping_ranges_parse() {
        assert_eq!(parse_ranges("0-4"), Some(vec![(0, 4)]));
        assert_eq!(parse_ranges("1,3-4"), Some(vec![(1, 1), (3, 4)]));
        assert_eq!(parse_ranges("x"), None);
        assert_eq!(parse_ranges("1-"), None);
    }
}
