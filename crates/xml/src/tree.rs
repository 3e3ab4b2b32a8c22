//! Building one selected element as a tree (roxmltree) and mapping its positions back to
//! the whole input.
//!
//! A chunk is parsed on its own, so its line 1 is the line where the element starts:
//! chunk position (1, c) is input position (L₀, C₀ + c − 1); chunk (r, c) with r > 1 is
//! input (L₀ + r − 1, c).
use crate::error::{ErrorKind, XmlError};
use crate::model::Pos;
use crate::Limits;

/// Maps chunk offsets to input positions.
pub(crate) struct Locator<'a> {
    doc: &'a roxmltree::Document<'a>,
    base: Pos,
}

impl<'a> Locator<'a> {
    /// The input position of a chunk row/column.
    fn map(base: Pos, row: u32, col: u32) -> Pos {
        if row <= 1 {
            Pos {
                line: base.line,
                column: base.column.saturating_add(col.saturating_sub(1)),
            }
        } else {
            Pos {
                line: base.line.saturating_add(row - 1),
                column: col,
            }
        }
    }

    /// Where a node starts.
    pub(crate) fn node(&self, n: roxmltree::Node) -> Pos {
        let p = self.doc.text_pos_at(n.range().start);
        Self::map(self.base, p.row, p.col)
    }

    /// Where an attribute of a node starts (the node's position if absent).
    pub(crate) fn attr(&self, n: roxmltree::Node, name: &str) -> Pos {
        match n.attribute_node(name) {
            Some(a) => {
                let p = self.doc.text_pos_at(a.range().start);
                Self::map(self.base, p.row, p.col)
            }
            None => self.node(n),
        }
    }
}

/// Parses a chunk and hands its root element to `f`.
pub(crate) fn with_tree<T>(
    text: &str,
    base: Pos,
    limits: &Limits,
    f: impl FnOnce(roxmltree::Node, &Locator) -> Result<T, XmlError>,
) -> Result<T, XmlError> {
    let nodes = limits
        .max_elements
        .saturating_mul(4)
        .saturating_add(16)
        .min(u32::MAX as usize) as u32;
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: nodes,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts).map_err(|e| {
        let p = e.pos();
        let pos = Locator::map(base, p.row, p.col);
        XmlError::new(pos, convert(&e, limits))
    })?;
    let loc = Locator { doc: &doc, base };
    f(doc.root_element(), &loc)
}

fn convert(e: &roxmltree::Error, limits: &Limits) -> ErrorKind {
    use roxmltree::Error as E;
    match e {
        E::UnknownEntityReference(name, _) => ErrorKind::UnknownEntity(name.clone()),
        E::DtdDetected => ErrorKind::Dtd,
        E::NodesLimitReached => ErrorKind::TooManyElements {
            limit: limits.max_elements,
        },
        E::UnexpectedCloseTag(exp, act, _) => {
            ErrorKind::Syntax(format!("expected </{exp}>, found </{act}>"))
        }
        E::UnknownNamespace(prefix, _) => {
            ErrorKind::Syntax(format!("unknown namespace prefix '{prefix}'"))
        }
        E::DuplicatedAttribute(name, _) => {
            ErrorKind::Syntax(format!("attribute '{name}' is given twice"))
        }
        E::NonXmlChar(c, _) => ErrorKind::Syntax(format!(
            "character U+{:04X} is not allowed in XML",
            *c as u32
        )),
        other => {
            let s = other.to_string();
            let at = format!(" at {}", other.pos());
            ErrorKind::Syntax(s.replacen(&at, "", 1))
        }
    }
}

/// The text content of an element that may hold only text (and comments).
pub(crate) fn text_of(n: roxmltree::Node, loc: &Locator) -> Result<String, XmlError> {
    let mut s = String::new();
    for c in n.children() {
        if c.is_element() {
            return Err(XmlError::invalid(
                loc.node(c),
                format!(
                    "<{}> may contain only text, found <{}>",
                    n.tag_name().name(),
                    c.tag_name().name()
                ),
            ));
        }
        if let Some(t) = c.text() {
            if c.is_text() {
                s.push_str(t);
            }
        }
    }
    Ok(s)
}
