//! A QMP monitor that answers the CPU-model commands as `qemu-system-s390x` does.
//!
//! One JSON object per input line; one reply line per command, in order. The protocol
//! rules follow QEMU's monitor:
//!
//! 1. the greeting `{"QMP": {...}}` first; until `qmp_capabilities`, every other command
//!    is refused with `CommandNotFound` "Expecting capabilities negotiation ...";
//! 2. the request must be an object with a string `execute`, an object `arguments` and
//!    any `id` (echoed back); any other member is "unexpected";
//! 3. arguments are checked member by member in the schema's order (missing, wrong type,
//!    bad enum value), then unexpected members; nested names read `model.name`;
//! 4. model props are applied in QEMU's dictionary order ([`crate::qdict`]), so a request
//!    that sets a group and one of its members gets QEMU's exact answer;
//! 5. a line that is not JSON gets `JSON parse error, ...` and the session goes on.
//!
//! Supported commands: `qmp_capabilities`, `query-version`, `query-cpu-definitions`,
//! `query-cpu-model-expansion`, `query-cpu-model-comparison`, `query-cpu-model-baseline`,
//! `quit`. Replies are written with [`crate::qdict::to_text`], key order included.
use crate::catalog::Release;
use crate::error::ModelError;
use crate::model::{CpuModel, Engine, Expansion, Prop, PropValue};
use crate::qdict;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// A QMP error: class and description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QmpError {
    /// `GenericError` or `CommandNotFound`.
    pub class: &'static str,
    /// QEMU's message.
    pub desc: String,
}

impl QmpError {
    fn generic(desc: impl Into<String>) -> QmpError {
        QmpError {
            class: "GenericError",
            desc: desc.into(),
        }
    }

    fn not_found(desc: impl Into<String>) -> QmpError {
        QmpError {
            class: "CommandNotFound",
            desc: desc.into(),
        }
    }
}

impl From<ModelError> for QmpError {
    fn from(e: ModelError) -> QmpError {
        QmpError::generic(e.to_string())
    }
}

/// One monitor session.
#[derive(Debug)]
pub struct Session<'c> {
    engine: Engine<'c>,
    negotiated: bool,
    quit: bool,
}

impl<'c> Session<'c> {
    /// A session over an engine (TCG, or KVM with a host model).
    pub fn new(engine: Engine<'c>) -> Session<'c> {
        Session {
            engine,
            negotiated: false,
            quit: false,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine<'c> {
        &self.engine
    }

    /// The greeting line QEMU prints first.
    pub fn greeting(&self) -> String {
        let v = qdict::object(vec![(
            "QMP".into(),
            qdict::object(vec![
                ("version".into(), self.version()),
                ("capabilities".into(), Value::Array(vec!["oob".into()])),
            ]),
        )]);
        qdict::to_text(&v)
    }

    /// Whether `quit` was executed.
    pub fn has_quit(&self) -> bool {
        self.quit
    }

    /// Answers one input line; `None` for a blank line.
    pub fn line(&mut self, line: &str) -> Option<String> {
        if line.trim().is_empty() {
            return None;
        }
        if let Some(reply) = self.fast(line) {
            return Some(reply);
        }
        Some(match parse_json(line) {
            Err(e) => error_reply(&e, None),
            Ok(v) => self.request(&v),
        })
    }

    /// Answers one parsed request with a reply line (without the line end).
    pub fn request(&mut self, req: &Value) -> String {
        let Value::Object(obj) = req else {
            return error_reply(&QmpError::generic("QMP input must be a JSON object"), None);
        };
        let id = obj.get("id").map(qdict::to_text);
        match self.dispatch(obj) {
            Ok(ret) => {
                let mut e = vec![("return", ret.as_str())];
                if let Some(id) = &id {
                    e.push(("id", id.as_str()));
                }
                qdict::object_text(&e)
            }
            Err(err) => error_reply(&err, id.as_deref()),
        }
    }

    fn dispatch(&mut self, obj: &Map<String, Value>) -> Result<String, QmpError> {
        let mut command = None;
        let mut args = None;
        for key in qdict::order(obj.keys().collect()) {
            let v = &obj[key.as_str()];
            match key.as_str() {
                "execute" => match v {
                    Value::String(s) => command = Some(s.as_str()),
                    _ => {
                        return Err(QmpError::generic(
                            "QMP input member 'execute' must be a string",
                        ))
                    }
                },
                "arguments" => match v {
                    Value::Object(a) => args = Some(a),
                    _ => {
                        return Err(QmpError::generic(
                            "QMP input member 'arguments' must be an object",
                        ))
                    }
                },
                "id" => {}
                other => {
                    return Err(QmpError::generic(format!(
                        "QMP input member '{other}' is unexpected"
                    )))
                }
            }
        }
        let command =
            command.ok_or_else(|| QmpError::generic("QMP input lacks member 'execute'"))?;
        let empty = Map::new();
        let args = Args::new(args.unwrap_or(&empty), "");
        if !self.negotiated {
            if command != "qmp_capabilities" {
                return Err(QmpError::not_found(
                    "Expecting capabilities negotiation with 'qmp_capabilities'",
                ));
            }
            args.finish()?;
            self.negotiated = true;
            return Ok("{}".into());
        }
        match command {
            "qmp_capabilities" => {
                args.finish()?;
                Err(QmpError::not_found(
                    "Capabilities negotiation is already complete, command ignored",
                ))
            }
            "quit" => {
                args.finish()?;
                self.quit = true;
                Ok("{}".into())
            }
            "query-version" => {
                args.finish()?;
                Ok(qdict::to_text(&self.version()))
            }
            "query-cpu-definitions" => {
                args.finish()?;
                Ok(qdict::to_text(&self.definitions()))
            }
            "query-cpu-model-expansion" => {
                let ty = args.required_str("type")?;
                let full = match ty {
                    "static" => false,
                    "full" => true,
                    other => {
                        return Err(QmpError::generic(format!(
                            "Parameter 'type' does not accept value '{other}'"
                        )))
                    }
                };
                let model = args.model("model")?;
                args.finish()?;
                let m = self.build(&model)?;
                Ok(self.expansion_reply(&m, full))
            }
            "query-cpu-model-comparison" => {
                let a = args.model("modela")?;
                let b = args.model("modelb")?;
                args.finish()?;
                let a = self.build(&a)?;
                let b = self.build(&b)?;
                Ok(self.comparison_reply(&a, &b))
            }
            "query-cpu-model-baseline" => {
                let a = args.model("modela")?;
                let b = args.model("modelb")?;
                args.finish()?;
                let a = self.build(&a)?;
                let b = self.build(&b)?;
                self.baseline_reply(&a, &b)
            }
            other => Err(QmpError::not_found(format!(
                "The command {other} has not been found"
            ))),
        }
    }

    fn version(&self) -> Value {
        let (major, minor, micro) = match self.engine.release() {
            Release::Qemu72 => (7, 2, 22),
            Release::Newest => (10, 2, 50),
        };
        qdict::object(vec![
            (
                "qemu".into(),
                qdict::object(vec![
                    ("major".into(), major.into()),
                    ("minor".into(), minor.into()),
                    ("micro".into(), micro.into()),
                ]),
            ),
            (
                "package".into(),
                Value::String(format!("cpucompat {}", env!("CARGO_PKG_VERSION"))),
            ),
        ])
    }

    fn definitions(&self) -> Value {
        let list = self
            .engine
            .definitions()
            .into_iter()
            .map(|d| {
                qdict::object(vec![
                    ("name".into(), Value::String(d.name)),
                    ("migration-safe".into(), Value::Bool(d.migration_safe)),
                    ("static".into(), Value::Bool(d.is_static)),
                    ("unavailable-features".into(), strings(&d.unavailable)),
                    ("typename".into(), Value::String(d.typename)),
                    ("deprecated".into(), Value::Bool(false)),
                ])
            })
            .collect();
        Value::Array(list)
    }

    fn expansion_reply(&self, m: &CpuModel, full: bool) -> String {
        let e = if full {
            self.engine.expand_full(m)
        } else {
            self.engine.expand_static(m)
        };
        let model = expansion_text(&e);
        let deprecated;
        let mut entries = vec![("model", model.as_str())];
        if self.engine.release() == Release::Newest && !e.deprecated.is_empty() {
            deprecated = qdict::list_text(&e.deprecated);
            entries.push(("deprecated-props", deprecated.as_str()));
        }
        qdict::object_text(&entries)
    }

    fn comparison_reply(&self, a: &CpuModel, b: &CpuModel) -> String {
        let c = self.engine.compare(a, b);
        let result = qdict::string_text(c.result.as_str());
        let responsible = qdict::list_text(&c.responsible);
        qdict::object_text(&[
            ("result", result.as_str()),
            ("responsible-properties", responsible.as_str()),
        ])
    }

    fn baseline_reply(&self, a: &CpuModel, b: &CpuModel) -> Result<String, QmpError> {
        let m = self.engine.baseline(a, b)?;
        let model = expansion_text(&self.engine.expand_static(&m));
        Ok(qdict::object_text(&[("model", model.as_str())]))
    }

    /// The fast path for well-formed model commands without `id`: parsed straight into
    /// borrowed values. `None` when the line is anything else; the general path then
    /// answers it (with the same result for every line the fast path accepts).
    fn fast(&self, line: &str) -> Option<String> {
        if !self.negotiated {
            return None;
        }
        let req: FastReq<'_> = serde_json::from_str(line).ok()?;
        let a = &req.arguments;
        let reply = match req.execute {
            "query-cpu-model-expansion" if a.modela.is_none() && a.modelb.is_none() => {
                let full = match a.ty? {
                    "static" => false,
                    "full" => true,
                    _ => return None,
                };
                let m = a.model.as_ref()?;
                self.fast_build(m).map(|m| self.expansion_reply(&m, full))
            }
            "query-cpu-model-comparison" | "query-cpu-model-baseline"
                if a.model.is_none() && a.ty.is_none() =>
            {
                let (ma, mb) = (a.modela.as_ref()?, a.modelb.as_ref()?);
                let built = self
                    .fast_build(ma)
                    .and_then(|x| Ok((x, self.fast_build(mb)?)));
                match built {
                    Ok((x, y)) if req.execute == "query-cpu-model-comparison" => {
                        Ok(self.comparison_reply(&x, &y))
                    }
                    Ok((x, y)) => self.baseline_reply(&x, &y),
                    Err(e) => Err(e),
                }
            }
            _ => return None,
        };
        Some(match reply {
            Ok(ret) => qdict::object_text(&[("return", ret.as_str())]),
            Err(e) => error_reply(&e, None),
        })
    }

    fn fast_build(&self, m: &FastModel<'_>) -> Result<CpuModel, QmpError> {
        let props: Vec<Prop> = qdict::order(m.props.0.iter().map(|p| p.0).collect())
            .into_iter()
            .map(|k| Prop {
                name: k.to_string(),
                value: PropValue::Bool(m.props.0.iter().any(|p| p.0 == k && p.1)),
            })
            .collect();
        Ok(self.engine.build(m.name, &props)?)
    }

    fn build(&self, m: &ModelArg) -> Result<CpuModel, QmpError> {
        let props = props_of(m)?;
        Ok(self.engine.build(&m.name, &props)?)
    }
}

/// A `CpuModelInfo` argument, checked for shape.
#[derive(Clone, Debug)]
pub struct ModelArg {
    /// The model name.
    pub name: String,
    /// The props, if given (any JSON: checked when the model is built).
    pub props: Option<Value>,
}

/// Turns a props object into properties in QEMU's application order.
pub fn props_of(m: &ModelArg) -> Result<Vec<Prop>, QmpError> {
    let Some(p) = &m.props else {
        return Ok(Vec::new());
    };
    let Value::Object(map) = p else {
        return Err(QmpError::generic(
            "Invalid parameter type for 'props', expected: dict",
        ));
    };
    Ok(qdict::order(map.keys().collect())
        .into_iter()
        .map(|k| Prop {
            name: k.clone(),
            value: match &map[k.as_str()] {
                Value::Bool(b) => PropValue::Bool(*b),
                Value::String(_) => PropValue::Str,
                Value::Number(n) => n.as_u64().map_or(PropValue::Other, PropValue::Uint),
                _ => PropValue::Other,
            },
        })
        .collect())
}

fn expansion_text(e: &Expansion<'_>) -> String {
    let name = qdict::string_text(&e.name);
    let props;
    let mut entries = vec![("name", name.as_str())];
    if !e.props.is_empty() {
        let p: Vec<(&str, &str)> = e
            .props
            .iter()
            .map(|(k, v)| (*k, if *v { "true" } else { "false" }))
            .collect();
        props = qdict::object_text(&p);
        entries.push(("props", props.as_str()));
    }
    qdict::object_text(&entries)
}

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| Value::String(s.clone())).collect())
}

fn error_reply(e: &QmpError, id: Option<&str>) -> String {
    let class = qdict::string_text(e.class);
    let desc = qdict::string_text(&e.desc);
    let err = qdict::object_text(&[("class", class.as_str()), ("desc", desc.as_str())]);
    let mut entries = vec![("error", err.as_str())];
    if let Some(id) = id {
        entries.push(("id", id));
    }
    qdict::object_text(&entries)
}

/// The arguments of one command, visited as QEMU's QAPI input visitor does.
struct Args<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
    seen: std::cell::RefCell<Vec<&'a str>>,
}

impl<'a> Args<'a> {
    fn new(map: &'a Map<String, Value>, prefix: &'a str) -> Args<'a> {
        Args {
            map,
            prefix,
            seen: Default::default(),
        }
    }

    fn full(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn get(&self, name: &'a str) -> Option<&'a Value> {
        self.seen.borrow_mut().push(name);
        self.map.get(name)
    }

    fn required(&self, name: &'a str) -> Result<&'a Value, QmpError> {
        self.get(name)
            .ok_or_else(|| QmpError::generic(format!("Parameter '{}' is missing", self.full(name))))
    }

    fn required_str(&self, name: &'a str) -> Result<&'a str, QmpError> {
        match self.required(name)? {
            Value::String(s) => Ok(s),
            _ => Err(QmpError::generic(format!(
                "Invalid parameter type for '{}', expected: string",
                self.full(name)
            ))),
        }
    }

    fn model(&self, name: &'a str) -> Result<ModelArg, QmpError> {
        let Value::Object(m) = self.required(name)? else {
            return Err(QmpError::generic(format!(
                "Invalid parameter type for '{}', expected: object",
                self.full(name)
            )));
        };
        let prefix = format!("{}.", self.full(name));
        let inner = Args::new(m, &prefix);
        let model_name = inner.required_str("name")?.to_string();
        let props = inner.get("props").cloned();
        inner.finish()?;
        Ok(ModelArg {
            name: model_name,
            props,
        })
    }

    fn finish(&self) -> Result<(), QmpError> {
        let seen = self.seen.borrow();
        for k in qdict::order(self.map.keys().collect()) {
            if !seen.contains(&k.as_str()) {
                return Err(QmpError::generic(format!(
                    "Parameter '{}' is unexpected",
                    self.full(k)
                )));
            }
        }
        Ok(())
    }
}

/// Parses one line of JSON as QEMU's parser would accept it (QEMU also takes strings in
/// single quotes); errors carry QEMU's text.
pub fn parse_json(line: &str) -> Result<Value, QmpError> {
    let strict = |text: &str| {
        let mut de = serde_json::Deserializer::from_str(text);
        <StrictValue as serde::Deserialize>::deserialize(&mut de)
            .and_then(|v| de.end().map(|_| v.0))
    };
    match strict(line) {
        Ok(v) => Ok(v),
        Err(e) => match requote(line).map(|l| strict(&l)) {
            Some(Ok(v)) => Ok(v),
            _ => Err(json_error(line, &e)),
        },
    }
}

/// Rewrites single-quoted strings as double-quoted ones; `None` when there are none.
fn requote(line: &str) -> Option<String> {
    if !line.contains('\'') {
        return None;
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(d) = chars.next() {
                    out.push(d);
                    match d {
                        '\\' => out.push(chars.next()?),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                out.push('"');
                loop {
                    match chars.next()? {
                        '\\' => match chars.next()? {
                            '\'' => out.push('\''),
                            e => {
                                out.push('\\');
                                out.push(e);
                            }
                        },
                        '"' => out.push_str("\\\""),
                        '\'' => break,
                        d => out.push(d),
                    }
                }
                out.push('"');
            }
            c => out.push(c),
        }
    }
    Some(out)
}

fn json_error(line: &str, e: &serde_json::Error) -> QmpError {
    let msg = e.to_string();
    if msg.starts_with("duplicate key") {
        return QmpError::generic("JSON parse error, duplicate key");
    }
    if msg.starts_with("expected `:`") {
        return QmpError::generic("JSON parse error, missing : in object pair");
    }
    // A bare word where a value belongs: QEMU names the keyword.
    // serde_json's column counts bytes; step back to a character boundary.
    let mut start = e.column().saturating_sub(1).min(line.len());
    while !line.is_char_boundary(start) {
        start -= 1;
    }
    let word_start = line[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word: String = line[word_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    if !word.is_empty()
        && word.starts_with(|c: char| c.is_ascii_alphabetic())
        && !["true", "false", "null"].contains(&word.as_str())
    {
        return QmpError::generic(format!("JSON parse error, invalid keyword '{word}'"));
    }
    QmpError::generic("JSON parse error, expecting value")
}

/// A JSON value that refuses duplicate object keys, as QEMU's parser does.
struct StrictValue(Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(StrictValue(x)) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if m.insert(k, v).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(m))
    }
}

/// A well-formed model command, borrowed from the line (fast path only).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastReq<'a> {
    #[serde(borrow)]
    execute: &'a str,
    #[serde(borrow)]
    arguments: FastArgs<'a>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastArgs<'a> {
    #[serde(borrow, rename = "type", default)]
    ty: Option<&'a str>,
    #[serde(borrow, default)]
    model: Option<FastModel<'a>>,
    #[serde(borrow, default)]
    modela: Option<FastModel<'a>>,
    #[serde(borrow, default)]
    modelb: Option<FastModel<'a>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastModel<'a> {
    #[serde(borrow)]
    name: &'a str,
    #[serde(borrow, default)]
    props: FastProps<'a>,
}

/// Boolean props in JSON order; refuses duplicates and non-booleans (the general path
/// answers those).
#[derive(Default)]
struct FastProps<'a>(Vec<(&'a str, bool)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for FastProps<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = FastProps<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of booleans")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut v: Vec<(&'a str, bool)> = Vec::new();
                while let Some(k) = map.next_key::<&'de str>()? {
                    let b: bool = map.next_value()?;
                    if v.iter().any(|(x, _)| *x == k) {
                        return Err(de::Error::custom("duplicate key"));
                    }
                    v.push((k, b));
                }
                Ok(FastProps(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}
