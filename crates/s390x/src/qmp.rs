//! The s390x commands of a QMP monitor, answered as `qemu-system-s390x` answers them.
//!
//! The protocol around them (framing, QEMU's JSON, the envelope, negotiation, `id`,
//! `qmp_capabilities`, `query-version`, `quit`, error replies) is [`cpucompat_qmp`]'s;
//! this module is the [`cpucompat_qmp::Monitor`] of an [`Engine`]. Its rules:
//!
//! 1. commands: `query-cpu-definitions`, `query-cpu-model-expansion` (`type` is `static`
//!    or `full`, else "Parameter 'type' does not accept value 'X'"),
//!    `query-cpu-model-comparison`, `query-cpu-model-baseline`; any other is
//!    `CommandNotFound`;
//! 2. arguments are read member by member in the schema's order (missing, wrong type, bad
//!    enum value), then unexpected members; nested names read `model.name`;
//! 3. model props are applied in QEMU's dictionary order ([`crate::qdict`]), so a request
//!    that sets a group and one of its members gets QEMU's exact answer;
//! 4. the version is 7.2.22 for QEMU 7.2's catalog, 10.2.50 for the newest;
//! 5. the fast path ([`cpucompat_qmp::Monitor::fast`]) reads a well-formed model command
//!    without `id` straight into borrowed values and declines anything else.
//!
//! Replies are written with [`crate::qdict`], key order included.
use crate::catalog::Release;
use crate::error::ModelError;
use crate::model::{CpuModel, Engine, Expansion, Prop, PropValue};
use crate::qdict;
use cpucompat_qmp::{Args, QmpError, Reply};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A monitor session over the s390x monitor.
pub type Session<'c> = cpucompat_qmp::Session<Monitor<'c>>;

/// A session over an engine (TCG, or KVM with a host model), before negotiation.
pub fn session(engine: Engine<'_>) -> Session<'_> {
    Session::new(Monitor::new(engine))
}

/// An engine error is a `GenericError` with the engine's message (QEMU's text).
fn model_error(e: ModelError) -> QmpError {
    QmpError::generic(e.to_string())
}

/// The s390x commands over an [`Engine`].
#[derive(Debug)]
pub struct Monitor<'c> {
    engine: Engine<'c>,
}

impl<'c> cpucompat_qmp::Monitor for Monitor<'c> {
    fn version(&self) -> (u32, u32, u32) {
        match self.engine.release() {
            Release::Qemu72 => (7, 2, 22),
            Release::Newest => (10, 2, 50),
        }
    }

    fn package(&self) -> String {
        format!("cpucompat {}", env!("CARGO_PKG_VERSION"))
    }

    fn has_command(&self, command: &str) -> bool {
        matches!(
            command,
            "query-cpu-definitions"
                | "query-cpu-model-expansion"
                | "query-cpu-model-comparison"
                | "query-cpu-model-baseline"
        )
    }

    fn execute(&mut self, command: &str, args: &Args<'_>) -> Result<Reply, QmpError> {
        match command {
            "query-cpu-definitions" => {
                args.finish()?;
                Ok(Reply::value(&self.definitions()))
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
                let model = model_arg(args, "model")?;
                args.finish()?;
                let m = self.build(&model)?;
                Ok(self.expansion_reply(&m, full))
            }
            "query-cpu-model-comparison" => {
                let a = model_arg(args, "modela")?;
                let b = model_arg(args, "modelb")?;
                args.finish()?;
                let a = self.build(&a)?;
                let b = self.build(&b)?;
                Ok(self.comparison_reply(&a, &b))
            }
            "query-cpu-model-baseline" => {
                let a = model_arg(args, "modela")?;
                let b = model_arg(args, "modelb")?;
                args.finish()?;
                let a = self.build(&a)?;
                let b = self.build(&b)?;
                self.baseline_reply(&a, &b)
            }
            other => Err(QmpError::not_found(other)),
        }
    }

    /// The fast path for well-formed model commands: parsed straight into borrowed values.
    /// `None` when the request is anything else (an `id` included); the general path then
    /// answers it, with the same result for every request the fast path accepts.
    fn fast(&mut self, request: &str) -> Option<Result<Reply, QmpError>> {
        let req: FastReq<'_> = serde_json::from_str(request).ok()?;
        let a = &req.arguments;
        Some(match req.execute {
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
        })
    }
}

impl<'c> Monitor<'c> {
    /// The monitor of an engine (TCG, or KVM with a host model).
    pub fn new(engine: Engine<'c>) -> Monitor<'c> {
        Monitor { engine }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine<'c> {
        &self.engine
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

    fn expansion_reply(&self, m: &CpuModel, full: bool) -> Reply {
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
        Reply::text(qdict::object_text(&entries))
    }

    fn comparison_reply(&self, a: &CpuModel, b: &CpuModel) -> Reply {
        let c = self.engine.compare(a, b);
        let result = qdict::string_text(c.result.as_str());
        let responsible = qdict::list_text(&c.responsible);
        Reply::text(qdict::object_text(&[
            ("result", result.as_str()),
            ("responsible-properties", responsible.as_str()),
        ]))
    }

    fn baseline_reply(&self, a: &CpuModel, b: &CpuModel) -> Result<Reply, QmpError> {
        let m = self.engine.baseline(a, b).map_err(model_error)?;
        let model = expansion_text(&self.engine.expand_static(&m));
        Ok(Reply::text(qdict::object_text(&[(
            "model",
            model.as_str(),
        )])))
    }

    fn fast_build(&self, m: &FastModel<'_>) -> Result<CpuModel, QmpError> {
        let props: Vec<Prop> = qdict::order(m.props.0.iter().map(|p| p.0).collect())
            .into_iter()
            .map(|k| Prop {
                name: k.to_string(),
                value: PropValue::Bool(m.props.0.iter().any(|p| p.0 == k && p.1)),
            })
            .collect();
        self.engine.build(m.name, &props).map_err(model_error)
    }

    fn build(&self, m: &ModelArg) -> Result<CpuModel, QmpError> {
        let props = props_of(m)?;
        self.engine.build(&m.name, &props).map_err(model_error)
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
///
/// # Errors
/// A `GenericError` [`QmpError`] "Invalid parameter type for 'props', expected: dict" when
/// `props` is given but is not an object; the values are checked later, when the model is
/// built.
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

/// Reads a `CpuModelInfo` member: an object with a string `name` and any `props`.
fn model_arg(args: &Args<'_>, name: &str) -> Result<ModelArg, QmpError> {
    let inner = args.required_object(name)?;
    let model_name = inner.required_str("name")?.to_string();
    let props = inner.get("props").cloned();
    inner.finish()?;
    Ok(ModelArg {
        name: model_name,
        props,
    })
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

/// A well-formed model command, borrowed from the line (fast path only).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastReq<'a> {
    #[serde(borrow)]
    execute: &'a str,
    #[serde(borrow)]
    arguments: FastArgs<'a>,
}

/// Members a command may lack; present ones must not be `null` (QEMU refuses an unexpected
/// member even when it is `null`, so the fast path declines those).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FastArgs<'a> {
    #[serde(borrow, rename = "type", default, deserialize_with = "present")]
    ty: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "present")]
    model: Option<FastModel<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    modela: Option<FastModel<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    modelb: Option<FastModel<'a>>,
}

/// A member that is there: its value, never `null`.
fn present<'de, D: Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
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
