//! The one RON reader of every catalog (libvirt model catalogs, QEMU's s390x and ppc64
//! tables): text to a tree of [`Value`]s that each know their line and column, and typed
//! accessors whose errors name the place of the value at fault.
//!
//! The syntax is the part of RON the committed files use: `// line` and `/* block */`
//! comments; strings `"..."` with the escapes `\" \\ \/ \' \n \t \r \0 \u{H}`; unsigned
//! integers in decimal or `0x` hex; `true`/`false`; identifiers (`X86`, `None`, enum
//! variants); `Name(field: value, ...)` and `(field: value, ...)` structs; `Name(a, b)`
//! (`Some(x)`, enum variants with data) and `(a, b)` tuples; `[a, b]` lists. Trailing
//! commas are allowed. Reading is one pass, line and column advancing byte by byte
//! (columns count characters), nesting at most [`MAX_DEPTH`] levels: linear time, no
//! recursion without bound.
//!
//! The typed layer ([`Obj`] and the accessors) is strict where serde is lenient: an unknown
//! or repeated field, a struct of another name, a number out of range, an unknown enum
//! variant are errors; a missing field is an error unless the reader gives a default.
use std::fmt;

/// How deep values may nest.
pub(crate) const MAX_DEPTH: usize = 64;

/// A place in the text: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// The line.
    pub line: u32,
    /// The column.
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    pub(crate) pos: Pos,
    pub(crate) kind: Kind,
}

/// What a value is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Int(u64),
    Str(String),
    Bool(bool),
    /// An identifier alone: a unit enum variant, `None`.
    Ident(String),
    /// `Name(a, b)` or `(a, b)`.
    Tuple(Option<String>, Vec<Value>),
    /// `Name(key: value, ...)` or `(key: value, ...)`.
    Struct(Option<String>, Vec<Field>),
    List(Vec<Value>),
}

/// A field of a struct: its key, where the key is, its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) key: String,
    pub(crate) pos: Pos,
    pub(crate) value: Value,
}

/// A RON error: where, and what was expected (lowercase).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Error {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

pub(crate) type Result<T> = std::result::Result<T, Error>;

fn err<T>(pos: Pos, message: impl Into<String>) -> Result<T> {
    Err(Error {
        pos,
        message: message.into(),
    })
}

/// Parses a whole text: one value, then nothing but blank space and comments.
pub(crate) fn parse(text: &str) -> Result<Value> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        pos: Pos { line: 1, column: 1 },
    };
    p.blank()?;
    let v = p.value(0)?;
    p.blank()?;
    if p.i < p.s.len() {
        return err(p.pos, "expected the end of the text after the value");
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    pos: Pos,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Moves past one byte, keeping the position: columns count characters, so UTF-8
    /// continuation bytes take none.
    fn bump(&mut self) {
        if let Some(&b) = self.s.get(self.i) {
            self.i += 1;
            if b == b'\n' {
                self.pos.line = self.pos.line.saturating_add(1);
                self.pos.column = 1;
            } else if b & 0xc0 != 0x80 {
                self.pos.column = self.pos.column.saturating_add(1);
            }
        }
    }

    /// Skips blank space and comments.
    fn blank(&mut self) -> Result<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.bump(),
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.bump();
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    let at = self.pos;
                    self.bump();
                    self.bump();
                    loop {
                        match self.peek() {
                            None => return err(at, "unterminated block comment"),
                            Some(b'*') if self.s.get(self.i + 1) == Some(&b'/') => {
                                self.bump();
                                self.bump();
                                break;
                            }
                            Some(_) => self.bump(),
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value> {
        let pos = self.pos;
        if depth >= MAX_DEPTH {
            return err(pos, format!("values nested deeper than {MAX_DEPTH} levels"));
        }
        let kind = match self.peek() {
            None => return err(pos, "unexpected end of the text, expected a value"),
            Some(b'"') => Kind::Str(self.string()?),
            Some(b'0'..=b'9') => Kind::Int(self.number()?),
            Some(b'[') => {
                self.bump();
                Kind::List(self.items(b']', depth)?)
            }
            Some(b'(') => {
                self.bump();
                self.parens(None, depth)?
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                let name = self.ident();
                match name.as_str() {
                    "true" => Kind::Bool(true),
                    "false" => Kind::Bool(false),
                    _ => {
                        // `Name (` is a named struct or tuple; blank space may come between
                        let save = (self.i, self.pos);
                        self.blank()?;
                        if self.peek() == Some(b'(') {
                            self.bump();
                            self.parens(Some(name), depth)?
                        } else {
                            (self.i, self.pos) = save;
                            Kind::Ident(name)
                        }
                    }
                }
            }
            Some(_) => {
                let c = self.char_here();
                return err(pos, format!("expected a value, found '{c}'"));
            }
        };
        Ok(Value { pos, kind })
    }

    /// The character at the current place, for messages.
    fn char_here(&self) -> char {
        std::str::from_utf8(&self.s[self.i..self.s.len().min(self.i + 4)])
            .ok()
            .or_else(|| {
                (1..4).find_map(|n| std::str::from_utf8(self.s.get(self.i..self.i + n)?).ok())
            })
            .and_then(|s| s.chars().next())
            .unwrap_or('\u{fffd}')
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.bump();
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn number(&mut self) -> Result<u64> {
        let pos = self.pos;
        let hex = self.peek() == Some(b'0') && matches!(self.s.get(self.i + 1), Some(b'x' | b'X'));
        let radix = if hex {
            self.bump();
            self.bump();
            16
        } else {
            10
        };
        let mut n: u64 = 0;
        let mut digits = 0;
        while let Some(d) = self.peek().and_then(|b| (b as char).to_digit(radix)) {
            n = n
                .checked_mul(u64::from(radix))
                .and_then(|n| n.checked_add(u64::from(d)))
                .ok_or(Error {
                    pos,
                    message: "integer too large".into(),
                })?;
            digits += 1;
            self.bump();
        }
        if digits == 0 {
            return err(pos, "expected hex digits after '0x'");
        }
        if self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            return err(
                self.pos,
                format!("unexpected '{}' in a number", self.char_here()),
            );
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String> {
        let open = self.pos;
        self.bump();
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return err(open, "unterminated string"),
                Some(b'"') => {
                    self.bump();
                    break;
                }
                Some(b'\\') => {
                    let at = self.pos;
                    self.bump();
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'\'') => '\'',
                        Some(b'n') => '\n',
                        Some(b't') => '\t',
                        Some(b'r') => '\r',
                        Some(b'0') => '\0',
                        Some(b'u') => {
                            self.bump();
                            let c = self.unicode(at)?;
                            let mut b = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                            continue;
                        }
                        _ => return err(at, "unknown escape in a string"),
                    };
                    self.bump();
                    out.push(c as u8);
                }
                Some(b) => {
                    out.push(b);
                    self.bump();
                }
            }
        }
        // The input is a `&str`, and escapes add whole characters: still UTF-8.
        String::from_utf8(out).or_else(|_| err(open, "a string that is not UTF-8"))
    }

    /// `{H...}` after `\u`.
    fn unicode(&mut self, at: Pos) -> Result<char> {
        if self.peek() != Some(b'{') {
            return err(at, "expected '\\u{...}'");
        }
        self.bump();
        let mut n: u32 = 0;
        let mut digits = 0;
        while let Some(d) = self.peek().and_then(|b| (b as char).to_digit(16)) {
            n = n.saturating_mul(16).saturating_add(d);
            digits += 1;
            self.bump();
        }
        if self.peek() != Some(b'}') || digits == 0 || digits > 6 {
            return err(at, "expected '\\u{...}' with 1 to 6 hex digits");
        }
        self.bump();
        char::from_u32(n).ok_or(Error {
            pos: at,
            message: format!("'\\u{{{n:x}}}' is not a character"),
        })
    }

    /// Values separated by commas up to `close` (already past the opening bracket).
    fn items(&mut self, close: u8, depth: usize) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            self.blank()?;
            if self.peek() == Some(close) {
                self.bump();
                return Ok(out);
            }
            out.push(self.value(depth + 1)?);
            self.blank()?;
            match self.peek() {
                Some(b',') => self.bump(),
                Some(c) if c == close => {}
                None => return err(self.pos, "unexpected end of the text, expected comma"),
                Some(_) => return err(self.pos, "expected comma"),
            }
        }
    }

    /// A struct or tuple after its `(`.
    fn parens(&mut self, name: Option<String>, depth: usize) -> Result<Kind> {
        self.blank()?;
        // `key:` makes a struct
        let save = (self.i, self.pos);
        let is_struct = if self
            .peek()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        {
            let _ = self.ident();
            self.blank()?;
            let colon = self.peek() == Some(b':');
            (self.i, self.pos) = save;
            colon
        } else {
            false
        };
        if !is_struct {
            return Ok(Kind::Tuple(name, self.items(b')', depth)?));
        }
        let mut fields = Vec::new();
        loop {
            self.blank()?;
            if self.peek() == Some(b')') {
                self.bump();
                return Ok(Kind::Struct(name, fields));
            }
            let pos = self.pos;
            if !self
                .peek()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            {
                return err(pos, "expected a field name");
            }
            let key = self.ident();
            self.blank()?;
            if self.peek() != Some(b':') {
                return err(self.pos, format!("expected ':' after field name '{key}'"));
            }
            self.bump();
            self.blank()?;
            let value = self.value(depth + 1)?;
            fields.push(Field { key, pos, value });
            self.blank()?;
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b')') => {}
                None => return err(self.pos, "unexpected end of the text, expected comma"),
                Some(_) => return err(self.pos, "expected comma"),
            }
        }
    }
}

impl Value {
    /// What the value is, for messages: `a string`, `an integer`, ...
    fn what(&self) -> String {
        match &self.kind {
            Kind::Int(_) => "an integer".into(),
            Kind::Str(_) => "a string".into(),
            Kind::Bool(_) => "a boolean".into(),
            Kind::Ident(n) => format!("'{n}'"),
            Kind::Tuple(Some(n), _) | Kind::Struct(Some(n), _) => format!("{n}(...)"),
            Kind::Tuple(None, _) => "a tuple".into(),
            Kind::Struct(None, _) => "a struct".into(),
            Kind::List(_) => "a list".into(),
        }
    }

    fn expected<T>(&self, what: &str) -> Result<T> {
        err(self.pos, format!("expected {what}, found {}", self.what()))
    }

    /// The fields of a struct named `name` (the name may be left out in the text).
    pub(crate) fn obj<'v>(&'v self, name: &'static str) -> Result<Obj<'v>> {
        match &self.kind {
            Kind::Struct(n, fields) if n.as_deref().is_none_or(|n| n == name) => {
                for (i, f) in fields.iter().enumerate() {
                    if fields[..i].iter().any(|g| g.key == f.key) {
                        return err(f.pos, format!("field '{}' is given twice", f.key));
                    }
                }
                Ok(Obj {
                    name,
                    pos: self.pos,
                    fields,
                })
            }
            _ => self.expected(&format!("{name}(...)")),
        }
    }

    pub(crate) fn string(&self) -> Result<String> {
        match &self.kind {
            Kind::Str(s) => Ok(s.clone()),
            _ => self.expected("a string"),
        }
    }

    pub(crate) fn boolean(&self) -> Result<bool> {
        match self.kind {
            Kind::Bool(b) => Ok(b),
            _ => self.expected("true or false"),
        }
    }

    /// An unsigned integer that fits `T` (named `ty` in messages).
    pub(crate) fn uint<T: TryFrom<u64>>(&self, ty: &str) -> Result<T> {
        match self.kind {
            Kind::Int(n) => {
                T::try_from(n).or_else(|_| err(self.pos, format!("{n} does not fit a {ty}")))
            }
            _ => self.expected(&format!("an integer ({ty})")),
        }
    }

    pub(crate) fn list(&self) -> Result<&[Value]> {
        match &self.kind {
            Kind::List(v) => Ok(v),
            _ => self.expected("a list"),
        }
    }

    /// `None`, or `Some(x)`.
    pub(crate) fn option(&self) -> Result<Option<&Value>> {
        match &self.kind {
            Kind::Ident(n) if n == "None" => Ok(None),
            Kind::Tuple(Some(n), items) if n == "Some" && items.len() == 1 => Ok(items.first()),
            _ => self.expected("None or Some(...)"),
        }
    }

    /// A tuple of exactly `n` values (unnamed).
    pub(crate) fn tuple(&self, n: usize) -> Result<&[Value]> {
        match &self.kind {
            Kind::Tuple(None, items) if items.len() == n => Ok(items),
            _ => self.expected(&format!("a tuple of {n}")),
        }
    }

    /// A unit enum variant, one of `variants`.
    pub(crate) fn unit<'a>(&self, variants: &[&'a str]) -> Result<&'a str> {
        match &self.kind {
            Kind::Ident(n) => variants
                .iter()
                .find(|v| **v == n)
                .copied()
                .ok_or_else(|| Error {
                    pos: self.pos,
                    message: format!(
                        "unknown variant '{n}', expected one of {}",
                        variants.join(", ")
                    ),
                }),
            _ => self.expected(&format!("one of {}", variants.join(", "))),
        }
    }

    /// An enum variant with fields, `Name(key: value, ...)`: its name, one of
    /// `variants`, and its fields.
    pub(crate) fn variant<'v>(
        &'v self,
        variants: &[&'static str],
    ) -> Result<(&'static str, Obj<'v>)> {
        match &self.kind {
            Kind::Struct(Some(n), _) => {
                let Some(&v) = variants.iter().find(|v| **v == n) else {
                    return err(
                        self.pos,
                        format!(
                            "unknown variant '{n}', expected one of {}",
                            variants.join(", ")
                        ),
                    );
                };
                Ok((v, self.obj(v)?))
            }
            _ => self.expected(&format!("one of {}(...)", variants.join("(...), "))),
        }
    }
}

/// The fields of a struct, read by key.
#[derive(Debug)]
pub(crate) struct Obj<'v> {
    name: &'static str,
    pos: Pos,
    fields: &'v [Field],
}

impl<'v> Obj<'v> {
    /// Where the struct starts.
    #[cfg(test)]
    pub(crate) fn pos(&self) -> Pos {
        self.pos
    }

    /// Refuses any field not in `known`.
    pub(crate) fn only(&self, known: &[&str]) -> Result<()> {
        match self
            .fields
            .iter()
            .find(|f| !known.contains(&f.key.as_str()))
        {
            Some(f) => err(
                f.pos,
                format!(
                    "unknown field '{}' in {}, expected one of {}",
                    f.key,
                    self.name,
                    known.join(", ")
                ),
            ),
            None => Ok(()),
        }
    }

    /// The field `key`, if given.
    pub(crate) fn get(&self, key: &str) -> Option<&'v Value> {
        self.fields.iter().find(|f| f.key == key).map(|f| &f.value)
    }

    /// Where the field `key` is (its key), or the struct when it is not given.
    #[cfg(test)]
    pub(crate) fn key_pos(&self, key: &str) -> Pos {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map_or(self.pos, |f| f.pos)
    }

    /// The field `key`, which must be given.
    pub(crate) fn req(&self, key: &str) -> Result<&'v Value> {
        self.get(key).ok_or_else(|| Error {
            pos: self.pos,
            message: format!("{} is missing the field '{key}'", self.name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        match parse(text) {
            Ok(v) => format!("parsed: {v:?}"),
            Err(e) => format!("{}: {}", e.pos, e.message),
        }
    }

    #[test]
    fn values_know_their_places() {
        let v = parse(
            "// c\nT(\n  a: [1, 0x1f, \"x\\u{e9}\\n\"],\n  b: Some((2, true)), /* z */ c: None,\n)",
        )
        .unwrap();
        let o = v.obj("T").unwrap();
        assert_eq!(o.pos(), Pos { line: 2, column: 1 });
        let a = o.req("a").unwrap().list().unwrap();
        assert_eq!(a[1].uint::<u8>("u8").unwrap(), 31);
        assert_eq!(a[2].string().unwrap(), "x\u{e9}\n");
        assert_eq!(
            a[2].pos,
            Pos {
                line: 3,
                column: 16
            }
        );
        let b = o
            .req("b")
            .unwrap()
            .option()
            .unwrap()
            .unwrap()
            .tuple(2)
            .unwrap();
        assert!(b[1].boolean().unwrap());
        assert_eq!(o.req("c").unwrap().option().unwrap(), None);
        assert_eq!(o.key_pos("b"), Pos { line: 4, column: 3 });
        assert!(o.only(&["a", "b", "c"]).is_ok());
    }

    #[test]
    fn errors_name_the_place() {
        assert_eq!(error("(a: 1\n b: 2)"), "2:2: expected comma");
        assert_eq!(
            error("[1, 2"),
            "1:6: unexpected end of the text, expected comma"
        );
        assert_eq!(error("\"abc"), "1:1: unterminated string");
        assert_eq!(error("(a: 0x)"), "1:5: expected hex digits after '0x'");
        assert_eq!(error("(a: 99999999999999999999)"), "1:5: integer too large");
        assert_eq!(error("(a: -1)"), "1:5: expected a value, found '-'");
        assert_eq!(error("(a: \"\\q\")"), "1:6: unknown escape in a string");
        assert_eq!(
            error("[] x"),
            "1:4: expected the end of the text after the value"
        );
        assert_eq!(error("/* open"), "1:1: unterminated block comment");
        let deep = "[".repeat(70);
        assert_eq!(error(&deep), "1:65: values nested deeper than 64 levels");
        let v = parse("T(a: 300, a: 1)").unwrap();
        assert_eq!(v.obj("T").unwrap_err().message, "field 'a' is given twice");
        let v = parse("U(a: 300)").unwrap();
        assert_eq!(
            v.obj("T").unwrap_err().message,
            "expected T(...), found U(...)"
        );
        let v = parse("(a: 300, b: X)").unwrap();
        let o = v.obj("T").unwrap();
        assert_eq!(
            o.req("a").unwrap().uint::<u8>("u8").unwrap_err().message,
            "300 does not fit a u8"
        );
        assert_eq!(
            o.req("b").unwrap().unit(&["Y", "Z"]).unwrap_err().message,
            "unknown variant 'X', expected one of Y, Z"
        );
        assert_eq!(
            o.req("c").unwrap_err().message,
            "T is missing the field 'c'"
        );
        assert_eq!(
            o.only(&["a"]).unwrap_err().message,
            "unknown field 'b' in T, expected one of a"
        );
    }
}
