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
//! by compilation. The XML is parsed by `roxmltree` with DTDs refused; every error names
//! the file, line and column. Anything unexpected (an unknown element or attribute value,
//! a mask with no or several bits) is an error, not silently skipped.
use crate::error::CatalogError;
use crate::schema::{
    Alias, Arch, Catalog, Decode, Feature, Location, Model, Pvr, Reg, Signature, Vendor,
};
use roxmltree::{Document, Node, ParsingOptions};
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

/// The largest cpu_map file read, in bytes.
const MAX_FILE: u64 = 16 << 20;

/// Reads the libvirt cpu_map directory `dir` into a catalog of `arch` (x86 or ppc64).
pub fn import_cpu_map(dir: &Path, arch: Arch) -> Result<Catalog, CatalogError> {
    import_with(dir, arch, &read)
}

/// The importer over any file source: `read` gives the text of a path under `dir`.
pub(crate) fn import_with(
    dir: &Path,
    arch: Arch,
    read: &dyn Fn(&Path) -> Result<String, CatalogError>,
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
    let text = read(&index_path)?;
    let index = Xml::parse(&index_name, &text)?;
    let root = index.root("cpus")?;
    let arch_node = root
        .children()
        .filter(|n| n.is_element() && n.has_tag_name("arch"))
        .find(|n| n.attribute("name") == Some(arch_name))
        .ok_or_else(|| CatalogError::NoArch {
            file: index_name.clone(),
            arch: arch_name.into(),
        })?;
    let mut files = Vec::new();
    for n in arch_node.children().filter(Node::is_element) {
        match n.tag_name().name() {
            "include" => files.push(index.include(n)?),
            "group" => {
                for g in n.children().filter(Node::is_element) {
                    if g.tag_name().name() != "include" {
                        return Err(index.unexpected(g, "<include>"));
                    }
                    files.push(index.include(g)?);
                }
            }
            _ => return Err(index.unexpected(n, "<include> or <group>")),
        }
    }
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
    let mut refs = Vec::new();
    let mut defs = Definitions::default();
    for (file, _) in &files {
        let path = dir.join(file);
        let name = path.display().to_string();
        let text = read(&path)?;
        let x = Xml::parse(&name, &text)?;
        let root = x.root("cpus")?;
        for n in root.children().filter(Node::is_element) {
            match n.tag_name().name() {
                "vendor" => {
                    let v = x.vendor(n)?;
                    defs.define(Kind::Vendor, &v.name, x.position(n))?;
                    cat.vendors.push(v);
                }
                "feature" => {
                    let f = x.feature(n)?;
                    defs.define(Kind::Feature, &f.name, x.position(n))?;
                    let mut own = HashSet::new();
                    for a in f.aliases.iter().filter(|a| own.insert(a.name.as_str())) {
                        defs.define(Kind::Alias, &a.name, x.position(n))?;
                    }
                    cat.features.push(f);
                }
                "model" => {
                    let m = x.model(n, &mut refs)?;
                    defs.define(Kind::Model, &m.name, x.position(n))?;
                    cat.models.push(m);
                }
                _ => return Err(x.unexpected(n, "<vendor>, <feature> or <model>")),
            }
        }
    }
    defs.check(&mut refs)?;
    Ok(cat)
}

fn read(path: &Path) -> Result<String, CatalogError> {
    let io = |source| CatalogError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut buf))
        .map_err(io)?;
    if buf.len() as u64 > MAX_FILE {
        return Err(CatalogError::Input {
            file: path.display().to_string(),
            line: 1,
            column: 1,
            message: format!("file is larger than {MAX_FILE} bytes"),
        });
    }
    String::from_utf8(buf).map_err(|e| CatalogError::Input {
        file: path.display().to_string(),
        line: 1,
        column: 1,
        message: format!("not utf-8 text: {e}"),
    })
}

/// A place in a cpu_map file.
struct Pos {
    file: String,
    line: u32,
    column: u32,
}

impl Pos {
    fn error(self, message: String) -> CatalogError {
        CatalogError::Input {
            file: self.file,
            line: self.line,
            column: self.column,
            message,
        }
    }
}

/// What a model refers to by name.
#[derive(Clone, Copy)]
enum RefKind {
    Parent,
    Vendor,
    Feature,
}

/// A name a model refers to, and where.
struct Ref {
    kind: RefKind,
    model: String,
    name: String,
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

/// The names defined so far. Checking them here, while positions are known, lets the
/// common mistakes (duplicates, unknown names) point at the element at fault; compilation
/// checks the rest (cycles, bits) and repeats these checks for catalogs from RON.
#[derive(Default)]
struct Definitions {
    vendors: HashSet<String>,
    features: HashSet<String>,
    aliases: HashSet<String>,
    models: HashSet<String>,
}

impl Definitions {
    fn define(&mut self, kind: Kind, name: &str, at: Pos) -> Result<(), CatalogError> {
        // Feature names and aliases share one namespace.
        let clash = matches!(kind, Kind::Feature | Kind::Alias)
            && (self.features.contains(name) || self.aliases.contains(name));
        let (set, what) = match kind {
            Kind::Vendor => (&mut self.vendors, "vendor"),
            Kind::Feature => (&mut self.features, "feature"),
            Kind::Alias => (&mut self.aliases, "feature"),
            Kind::Model => (&mut self.models, "model"),
        };
        if !set.insert(name.to_string()) || clash {
            return Err(at.error(format!("duplicate {what} '{name}'")));
        }
        Ok(())
    }

    fn check(&self, refs: &mut Vec<Ref>) -> Result<(), CatalogError> {
        for r in refs.drain(..) {
            let (set, what) = match r.kind {
                RefKind::Parent => (&self.models, "parent model"),
                RefKind::Vendor => (&self.vendors, "vendor"),
                RefKind::Feature => (&self.features, "feature"),
            };
            if !set.contains(&r.name) {
                return Err(r
                    .at
                    .error(format!("model '{}': unknown {what} '{}'", r.model, r.name)));
            }
        }
        Ok(())
    }
}

/// One parsed XML file and its name, for errors.
struct Xml<'a> {
    file: &'a str,
    doc: Document<'a>,
}

impl<'a> Xml<'a> {
    fn parse(file: &'a str, text: &'a str) -> Result<Xml<'a>, CatalogError> {
        let opts = ParsingOptions {
            allow_dtd: false,
            nodes_limit: 1_000_000,
            ..ParsingOptions::default()
        };
        let doc = Document::parse_with_options(text, opts).map_err(|e| {
            let p = e.pos();
            CatalogError::Input {
                file: file.to_string(),
                line: p.row,
                column: p.col,
                message: match e {
                    roxmltree::Error::DtdDetected => "bad xml: a dtd is not allowed".to_string(),
                    e => format!("bad xml: {e}"),
                },
            }
        })?;
        Ok(Xml { file, doc })
    }

    fn at(&self, byte: usize, message: String) -> CatalogError {
        let p = self.doc.text_pos_at(byte);
        CatalogError::Input {
            file: self.file.to_string(),
            line: p.row,
            column: p.col,
            message,
        }
    }

    fn err(&self, n: Node, message: String) -> CatalogError {
        self.at(n.range().start, message)
    }

    fn unexpected(&self, n: Node, expected: &str) -> CatalogError {
        self.err(
            n,
            format!(
                "unexpected element <{}>, expected {expected}",
                n.tag_name().name()
            ),
        )
    }

    fn root(&self, tag: &str) -> Result<Node<'_, 'a>, CatalogError> {
        let r = self.doc.root_element();
        if r.tag_name().name() != tag {
            return Err(self.unexpected(r, &format!("<{tag}>")));
        }
        Ok(r)
    }

    fn attr<'n>(&self, n: Node<'n, 'a>, name: &str) -> Result<&'n str, CatalogError> {
        n.attribute(name).ok_or_else(|| {
            self.err(
                n,
                format!("<{}> needs a '{name}' attribute", n.tag_name().name()),
            )
        })
    }

    /// An error about attribute `name` of `n` (which exists), placed at its value.
    fn bad_attr(&self, n: Node, name: &str, expected: &str) -> CatalogError {
        let (byte, value) = match n.attribute_node(name) {
            Some(a) => (a.range_value().start, a.value().to_string()),
            None => (n.range().start, String::new()),
        };
        self.at(
            byte,
            format!("attribute '{name}': expected {expected}, found '{value}'"),
        )
    }

    fn number(&self, n: Node, name: &str) -> Result<u32, CatalogError> {
        let s = self.attr(n, name)?;
        parse_u32(s).ok_or_else(|| self.bad_attr(n, name, "a decimal or 0x-hex 32-bit number"))
    }

    fn opt_number(&self, n: Node, name: &str) -> Result<u32, CatalogError> {
        match n.attribute(name) {
            None => Ok(0),
            Some(_) => self.number(n, name),
        }
    }

    fn flag(&self, n: Node, name: &str, yes: &str, no: &str) -> Result<Option<bool>, CatalogError> {
        match n.attribute(name) {
            None => Ok(None),
            Some(v) if v == yes => Ok(Some(true)),
            Some(v) if v == no => Ok(Some(false)),
            Some(_) => Err(self.bad_attr(n, name, &format!("'{yes}' or '{no}'"))),
        }
    }

    fn position(&self, n: Node) -> Pos {
        let p = self.doc.text_pos_at(n.range().start);
        Pos {
            file: self.file.to_string(),
            line: p.row,
            column: p.col,
        }
    }

    fn reference(&self, n: Node, kind: RefKind, model: &str, name: &str) -> Ref {
        Ref {
            kind,
            model: model.to_string(),
            name: name.to_string(),
            at: self.position(n),
        }
    }

    fn include(&self, n: Node) -> Result<(String, usize), CatalogError> {
        let f = self.attr(n, "filename")?;
        if f.is_empty() || f.contains(['/', '\\']) || f == "." || f == ".." {
            return Err(self.bad_attr(n, "filename", "a file name without directories"));
        }
        Ok((f.to_string(), n.range().start))
    }

    fn vendor(&self, n: Node) -> Result<Vendor, CatalogError> {
        Ok(Vendor {
            name: self.attr(n, "name")?.to_string(),
            string: n.attribute("string").map(str::to_string),
        })
    }

    fn feature(&self, n: Node) -> Result<Feature, CatalogError> {
        let name = self.attr(n, "name")?.to_string();
        let migratable = self.flag(n, "migratable", "yes", "no")?.unwrap_or(true);
        let mut aliases = Vec::new();
        let mut location = None;
        for c in n.children().filter(Node::is_element) {
            let loc = match c.tag_name().name() {
                "alias" => {
                    aliases.push(Alias {
                        name: self.attr(c, "name")?.to_string(),
                        source: self.attr(c, "source")?.to_string(),
                    });
                    continue;
                }
                "cpuid" => {
                    let leaf = self.number(c, "eax_in")?;
                    let subleaf = self.opt_number(c, "ecx_in")?;
                    let regs = [
                        (Reg::Eax, self.opt_number(c, "eax")?),
                        (Reg::Ebx, self.opt_number(c, "ebx")?),
                        (Reg::Ecx, self.opt_number(c, "ecx")?),
                        (Reg::Edx, self.opt_number(c, "edx")?),
                    ];
                    let (reg, bit) = self.one_bit(c, &name, &regs)?;
                    Location::Cpuid {
                        leaf,
                        subleaf,
                        reg,
                        bit,
                    }
                }
                "msr" => {
                    let index = self.number(c, "index")?;
                    let regs = [
                        (Reg::Eax, self.opt_number(c, "eax")?),
                        (Reg::Edx, self.opt_number(c, "edx")?),
                    ];
                    let (reg, bit) = self.one_bit(c, &name, &regs)?;
                    Location::Msr { index, reg, bit }
                }
                _ => return Err(self.unexpected(c, "<alias>, <cpuid> or <msr>")),
            };
            if location.is_some() {
                return Err(self.err(
                    c,
                    format!("feature '{name}': expected exactly one <cpuid> or <msr>"),
                ));
            }
            location = Some(loc);
        }
        let location = location.ok_or_else(|| {
            self.err(
                n,
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

    /// The single set bit of a CPUID or MSR mask.
    fn one_bit(&self, n: Node, name: &str, regs: &[(Reg, u32)]) -> Result<(Reg, u8), CatalogError> {
        let mut set = regs.iter().filter(|(_, v)| *v != 0);
        match (set.next(), set.next()) {
            (Some(&(reg, v)), None) if v.count_ones() == 1 => Ok((reg, v.trailing_zeros() as u8)),
            _ => Err(self.err(
                n,
                format!("feature '{name}': expected exactly one bit set in one register"),
            )),
        }
    }

    fn model(&self, n: Node, refs: &mut Vec<Ref>) -> Result<Model, CatalogError> {
        let mut m = Model {
            name: self.attr(n, "name")?.to_string(),
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
        for c in n.children().filter(Node::is_element) {
            let twice =
                |what: &str| self.err(c, format!("model '{}': more than one <{what}>", m.name));
            match c.tag_name().name() {
                "model" => {
                    if m.parent.is_some() {
                        return Err(twice("model"));
                    }
                    let parent = self.attr(c, "name")?.to_string();
                    refs.push(self.reference(c, RefKind::Parent, &m.name, &parent));
                    m.parent = Some(parent);
                }
                "vendor" => {
                    if m.vendor.is_some() {
                        return Err(twice("vendor"));
                    }
                    let vendor = self.attr(c, "name")?.to_string();
                    refs.push(self.reference(c, RefKind::Vendor, &m.name, &vendor));
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
                    let steppings = match c.attribute("stepping") {
                        None => Vec::new(),
                        Some(s) => parse_ranges(s).ok_or_else(|| {
                            self.bad_attr(c, "stepping", "stepping ranges such as '0-4' or '1,3'")
                        })?,
                    };
                    m.signatures.push(Signature {
                        family: self.number(c, "family")?,
                        model: self.number(c, "model")?,
                        steppings,
                    });
                }
                "feature" => {
                    let name = self.attr(c, "name")?.to_string();
                    let removed = self.flag(c, "removed", "yes", "no")?.unwrap_or(false);
                    let added = self.flag(c, "added", "yes", "no")?.unwrap_or(false);
                    refs.push(self.reference(c, RefKind::Feature, &m.name, &name));
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
                    let mask = match c.attribute("mask") {
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
