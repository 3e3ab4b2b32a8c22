//! `cpucompat._cpucompat`: the Python extension module behind the `cpucompat` package
//! (PyO3, stable ABI `abi3-py39`, built by maturin).
//!
//! A thin client of the `cpucompat` library: an [`Engine`] holds the library's engine and
//! answers compare, baseline, models, expand and decode; results are immutable Python
//! objects (`Comparison`, `Reason`, `ModelInfo`, `ModelUsability`, `Expansion`, `Cpu`)
//! whose `to_json()` is the same text the `cpucompat` command line prints with
//! `--format json`. Every library error is raised as a subclass of `cpucompat.Error`
//! chosen by its kind, carrying `kind`, `message`, `file`, `line` and `column`. Nothing is
//! decided here. Long work (reading, baselines, model lists) runs with the GIL released.
#![forbid(unsafe_code)]

use cpucompat::{Arch, BaselineOptions, CpuKind, CpuMap, ErrorKind, Input, Qemu};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};
use std::path::PathBuf;

pyo3::create_exception!(
    cpucompat,
    Error,
    PyException,
    "Base of every cpucompat error: `kind`, `message`, `file`, `line`, `column`."
);
pyo3::create_exception!(cpucompat, IoError, Error, "An input could not be read.");
pyo3::create_exception!(
    cpucompat,
    ParseError,
    Error,
    "An input is not what it should be: malformed XML or text, not UTF-8, too large."
);
pyo3::create_exception!(
    cpucompat,
    UnknownNameError,
    Error,
    "A model, feature, vendor or compat-mode name the catalog does not know."
);
pyo3::create_exception!(
    cpucompat,
    InvalidCpuError,
    Error,
    "A definition that cannot be used as given (no model, another architecture ...)."
);
pyo3::create_exception!(
    cpucompat,
    NoAnswerError,
    Error,
    "The inputs have no common answer (a baseline of incompatible CPUs)."
);
pyo3::create_exception!(
    cpucompat,
    UnsupportedError,
    Error,
    "The architecture, or the chosen catalog, has no such operation or option."
);
pyo3::create_exception!(
    cpucompat,
    CatalogError,
    Error,
    "A catalog (cpu_map directory, table) is broken."
);
pyo3::create_exception!(
    cpucompat,
    ArgumentError,
    Error,
    "An argument is wrong: an unknown architecture, QEMU release or option."
);

/// A Python exception of the library error's kind, its fields set as attributes.
fn raise(py: Python<'_>, e: cpucompat::Error) -> PyErr {
    let text = e.to_string();
    let err = match e.kind() {
        ErrorKind::Io => IoError::new_err(text),
        ErrorKind::Syntax => ParseError::new_err(text),
        ErrorKind::UnknownName => UnknownNameError::new_err(text),
        ErrorKind::NoAnswer => NoAnswerError::new_err(text),
        ErrorKind::Unsupported => UnsupportedError::new_err(text),
        ErrorKind::Catalog => CatalogError::new_err(text),
        ErrorKind::Argument => ArgumentError::new_err(text),
        _ => InvalidCpuError::new_err(text),
    };
    let v = err.value(py);
    let line = (e.line() != 0).then_some(e.line());
    let column = (e.column() != 0).then_some(e.column());
    let set = || -> PyResult<()> {
        v.setattr("kind", e.kind().as_str())?;
        v.setattr("message", e.message())?;
        v.setattr("file", e.file())?;
        v.setattr("line", line)?;
        v.setattr("column", column)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(other) => other,
    }
}

/// An argument error raised by the binding itself.
fn argument(py: Python<'_>, message: String) -> PyErr {
    raise(py, cpucompat::Error::new(ErrorKind::Argument, message))
}

/// A text argument: `str` or `bytes`, as the library's input named `name`.
fn text_input(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<Input>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Some(Input::from_text(name, s.to_cow()?.into_owned())));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Some(Input::from_bytes(name, b.as_bytes())));
    }
    Ok(None)
}

/// A source of CPUs: `str`/`bytes` text (named `name`), or an `os.PathLike` file.
fn source(obj: &Bound<'_, PyAny>, name: &str, what: &str) -> PyResult<Input> {
    if let Some(i) = text_input(obj, name)? {
        return Ok(i);
    }
    if obj.hasattr("__fspath__")? {
        let p: PathBuf = obj.extract()?;
        return Ok(Input::path(p));
    }
    Err(argument(
        obj.py(),
        format!(
            "{what} must be a Cpu, str or bytes text, or an os.PathLike file, not {}",
            obj.get_type().name()?
        ),
    ))
}

/// One architecture's rules over one catalog.
///
/// `Engine(arch, *, cpu_map=None, qemu=None)`: `arch` is `"x86_64"`, `"ppc64"` or
/// `"s390x"`; `cpu_map` (x86, ppc64) is `"libvirt-11.3"`, `"libvirt-12.8"` (the default)
/// or a libvirt cpu_map directory; `qemu` (s390x, ppc64) is `"7.2"` or `"newest"`.
#[pyclass(frozen, module = "cpucompat")]
struct Engine {
    inner: cpucompat::Engine,
}

/// A CPU definition the engine has checked.
#[pyclass(frozen, module = "cpucompat")]
struct Cpu {
    inner: cpucompat::Cpu,
}

/// Can the guest run on the host: the verdict, the reasons, the feature lists.
#[pyclass(frozen, module = "cpucompat")]
struct Comparison {
    inner: cpucompat::Comparison,
}

/// One reason a guest does not run: the rule, a message, where in the guest.
#[pyclass(frozen, module = "cpucompat")]
struct Reason {
    inner: cpucompat::Reason,
}

/// A catalog model: name, vendor, canonical (versioned) name.
#[pyclass(frozen, module = "cpucompat")]
struct ModelInfo {
    inner: cpucompat::ModelInfo,
}

/// A catalog model seen from a host: usable or not, and what blocks it.
#[pyclass(frozen, module = "cpucompat")]
struct ModelUsability {
    inner: cpucompat::ModelUsability,
}

/// A named model's full definition.
#[pyclass(frozen, module = "cpucompat")]
struct Expansion {
    inner: cpucompat::Expansion,
}

fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

fn opt_repr(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("{s:?}").replace('"', "'"),
        None => "None".into(),
    }
}

fn str_repr(s: &str) -> String {
    opt_repr(Some(s))
}

fn list_repr(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| str_repr(s)).collect();
    if inner.len() == 1 {
        format!("({},)", inner[0])
    } else {
        format!("({})", inner.join(", "))
    }
}

/// A CPU argument: a `Cpu` object (borrowed, not copied) or one read for the call.
enum CpuArg<'py> {
    Object(Bound<'py, Cpu>),
    Read(Box<cpucompat::Cpu>),
}

impl CpuArg<'_> {
    fn cpu(&self) -> &cpucompat::Cpu {
        match self {
            CpuArg::Object(c) => &c.get().inner,
            CpuArg::Read(c) => c,
        }
    }
}

impl Engine {
    /// A CPU argument: a `Cpu`, or a source read for its first CPU.
    fn cpu_arg<'py>(
        &self,
        py: Python<'py>,
        obj: &Bound<'py, PyAny>,
        name: &str,
        what: &str,
    ) -> PyResult<CpuArg<'py>> {
        if let Ok(c) = obj.cast::<Cpu>() {
            return Ok(CpuArg::Object(c.clone()));
        }
        let input = source(obj, name, what)?;
        py.detach(|| self.inner.read_one(input))
            .map(|c| CpuArg::Read(Box::new(c)))
            .map_err(|e| raise(py, e))
    }
}

#[pymethods]
impl Engine {
    #[new]
    #[pyo3(signature = (arch, *, cpu_map=None, qemu=None))]
    fn new(
        py: Python<'_>,
        arch: &str,
        cpu_map: Option<&Bound<'_, PyAny>>,
        qemu: Option<&str>,
    ) -> PyResult<Engine> {
        let a = Arch::from_name(arch).ok_or_else(|| {
            argument(
                py,
                format!("unknown architecture '{arch}': expected x86_64, ppc64 or s390x"),
            )
        })?;
        let mut b = cpucompat::Engine::builder(a);
        if let Some(m) = cpu_map {
            let map = match m.extract::<String>().ok().as_deref() {
                Some("libvirt-11.3") => CpuMap::Libvirt11_3,
                Some("libvirt-12.8") => CpuMap::Libvirt12_8,
                _ => CpuMap::Dir(m.extract::<PathBuf>()?),
            };
            b = b.cpu_map(map);
        }
        if let Some(v) = qemu {
            let q = Qemu::from_name(v).ok_or_else(|| {
                argument(
                    py,
                    format!("unknown QEMU version '{v}': expected 7.2 or newest (10.2)"),
                )
            })?;
            b = b.qemu(q);
        }
        let inner = py.detach(|| b.build()).map_err(|e| raise(py, e))?;
        Ok(Engine { inner })
    }

    /// The architecture: `"x86_64"`, `"ppc64"` or `"s390x"`.
    #[getter]
    fn arch(&self) -> &'static str {
        self.inner.arch().as_str()
    }

    /// The catalog and tables this engine decides with, one line.
    #[getter]
    fn catalog(&self) -> String {
        self.inner.catalog()
    }

    /// The first CPU of a text (`str` or `bytes`; any libvirt CPU XML form, a dump
    /// decoded as a host), named `name` in errors.
    #[pyo3(signature = (text, name="<string>"))]
    fn parse(&self, py: Python<'_>, text: &Bound<'_, PyAny>, name: &str) -> PyResult<Cpu> {
        let input = source_text(text, name)?;
        let inner = py
            .detach(|| self.inner.read_one(input))
            .map_err(|e| raise(py, e))?;
        Ok(Cpu { inner })
    }

    /// Every CPU of a text, in order.
    #[pyo3(signature = (text, name="<string>"))]
    fn parse_all(&self, py: Python<'_>, text: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Cpu>> {
        let input = source_text(text, name)?;
        let cpus = py
            .detach(|| self.inner.read(input))
            .map_err(|e| raise(py, e))?;
        Ok(cpus.into_iter().map(|inner| Cpu { inner }).collect())
    }

    /// The first CPU of a file (named by its path in errors).
    fn load(&self, py: Python<'_>, path: PathBuf) -> PyResult<Cpu> {
        let inner = py
            .detach(|| self.inner.read_one(Input::path(path)))
            .map_err(|e| raise(py, e))?;
        Ok(Cpu { inner })
    }

    /// Every CPU of a file, in order.
    fn load_all(&self, py: Python<'_>, path: PathBuf) -> PyResult<Vec<Cpu>> {
        let cpus = py
            .detach(|| self.inner.read(Input::path(path)))
            .map_err(|e| raise(py, e))?;
        Ok(cpus.into_iter().map(|inner| Cpu { inner }).collect())
    }

    /// Can `guest` run on `host`? Each is a `Cpu`, a text or a file. An incompatible
    /// guest is an answer (`verdict == "incompatible"`), not an exception.
    fn compare(
        &self,
        py: Python<'_>,
        host: &Bound<'_, PyAny>,
        guest: &Bound<'_, PyAny>,
    ) -> PyResult<Comparison> {
        let h = self.cpu_arg(py, host, "<host>", "host")?;
        let h = h.cpu();
        let inner = if self.inner.arch() == Arch::S390x {
            // QEMU under KVM on this host reads the guest (host-model, -passthrough).
            let judge = self.inner.for_host(h).map_err(|e| raise(py, e))?;
            let g = match guest.cast::<Cpu>() {
                Ok(c) => judge.cpu(c.get().inner.definition().clone()),
                Err(_) => {
                    let input = source(guest, "<guest>", "guest")?;
                    py.detach(|| judge.read_one(input))
                }
            }
            .map_err(|e| raise(py, e))?;
            judge.compare(h, &g)
        } else {
            let g = self.cpu_arg(py, guest, "<guest>", "guest")?;
            self.inner.compare(h, g.cpu())
        }
        .map_err(|e| raise(py, e))?;
        Ok(Comparison { inner })
    }

    /// The richest guest CPU every CPU of `cpus` runs. Items are `Cpu`s, texts or files
    /// (every CPU of a text or file counts). `features`: list every feature (x86,
    /// s390x); `migratable`: drop features that block migration (x86).
    #[pyo3(signature = (cpus, *, features=false, migratable=false))]
    fn baseline(
        &self,
        py: Python<'_>,
        cpus: &Bound<'_, PyAny>,
        features: bool,
        migratable: bool,
    ) -> PyResult<Cpu> {
        let mut items: Vec<Item> = Vec::new();
        for (i, obj) in cpus.try_iter()?.enumerate() {
            let obj = obj?;
            items.push(match obj.cast::<Cpu>() {
                Ok(c) => Item::Cpu(c.get().inner.clone()),
                Err(_) => Item::Input(source(&obj, &format!("<input {}>", i + 1), "a CPU")?),
            });
        }
        if items.is_empty() {
            return Err(argument(py, "baseline needs at least one CPU".into()));
        }
        let opts = BaselineOptions {
            expand_features: features,
            migratable,
        };
        let engine = &self.inner;
        let result = py.detach(|| {
            let stream = items.into_iter().flat_map(|item| match item {
                Item::Cpu(c) => vec![Ok(c)],
                Item::Input(input) => match engine.read(input) {
                    Ok(cpus) => cpus.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                },
            });
            engine.baseline(stream, &opts)
        });
        let b = result.map_err(|e| raise(py, e))?;
        Ok(Cpu {
            inner: b.into_cpu(),
        })
    }

    /// The catalog's models: without `host` a tuple of `ModelInfo`; with a host (a `Cpu`,
    /// text or file) a tuple of `ModelUsability`.
    #[pyo3(signature = (host=None))]
    fn models<'py>(
        &self,
        py: Python<'py>,
        host: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        match host {
            None => {
                let list = self.inner.models();
                PyTuple::new(py, list.into_iter().map(|inner| ModelInfo { inner }))
            }
            Some(h) => {
                let h = self.cpu_arg(py, h, "<host>", "host")?;
                let h = h.cpu();
                let list = py
                    .detach(|| self.inner.usability(h))
                    .map_err(|e| raise(py, e))?;
                PyTuple::new(py, list.into_iter().map(|inner| ModelUsability { inner }))
            }
        }
    }

    /// A named model's full definition.
    fn expand(&self, py: Python<'_>, model: &str) -> PyResult<Expansion> {
        let inner = self.inner.expand(model).map_err(|e| raise(py, e))?;
        Ok(Expansion { inner })
    }

    /// Decodes a dump (`<cpudata>` XML, `cpuid -r` text, a POWER `/proc/cpuinfo`; a text
    /// or a file) as a `"host"` or `"guest"` CPU.
    #[pyo3(signature = (dump, *, kind="host", name="<dump>"))]
    fn decode(
        &self,
        py: Python<'_>,
        dump: &Bound<'_, PyAny>,
        kind: &str,
        name: &str,
    ) -> PyResult<Cpu> {
        let kind = match kind {
            "host" => CpuKind::Host,
            "guest" => CpuKind::Guest,
            other => {
                return Err(argument(
                    py,
                    format!("unknown CPU kind '{other}': expected host or guest"),
                ))
            }
        };
        let input = source(dump, name, "dump")?;
        let inner = py
            .detach(|| self.inner.decode(input, kind))
            .map_err(|e| raise(py, e))?;
        Ok(Cpu { inner })
    }

    /// The names of the features a CPU denotes (x86: catalog order; s390x: QEMU's; POWER:
    /// none).
    fn features(&self, py: Python<'_>, cpu: &Bound<'_, Cpu>) -> PyResult<Vec<String>> {
        self.inner
            .features(&cpu.get().inner)
            .map_err(|e| raise(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "Engine({}, catalog={})",
            str_repr(self.arch()),
            str_repr(&self.catalog())
        )
    }
}

/// A baseline item: a checked CPU, or an input to read every CPU of.
enum Item {
    Cpu(cpucompat::Cpu),
    Input(Input),
}

/// A text argument (`str` or `bytes` only).
fn source_text(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Input> {
    text_input(obj, name)?.ok_or_else(|| {
        let t = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        argument(
            obj.py(),
            format!("text must be str or bytes, not {t} (use load() for files)"),
        )
    })
}

#[pymethods]
impl Cpu {
    /// The architecture.
    #[getter]
    fn arch(&self) -> &'static str {
        self.inner.arch().as_str()
    }

    /// The model it names, if any.
    #[getter]
    fn model(&self) -> Option<&str> {
        self.inner.model()
    }

    /// Whether it is a host CPU.
    #[getter]
    fn is_host(&self) -> bool {
        self.inner.is_host()
    }

    /// The input it was read from, as named in messages.
    #[getter]
    fn input(&self) -> Option<&str> {
        self.inner.input()
    }

    /// The line of its `<cpu>` in that input (None when not from XML).
    #[getter]
    fn line(&self) -> Option<u32> {
        let p = self.inner.pos();
        (p.line != 0).then_some(p.line)
    }

    /// The column of its `<cpu>` in that line.
    #[getter]
    fn column(&self) -> Option<u32> {
        let p = self.inner.pos();
        (p.line != 0).then_some(p.column)
    }

    /// libvirt's XML, as `virsh` prints it.
    fn to_xml(&self) -> String {
        self.inner.to_xml()
    }

    /// The definition as JSON text (what `cpucompat ... --format json` prints).
    fn to_json(&self) -> String {
        cpucompat::to_json_text(&self.inner.to_json())
    }

    /// The definition as a dict (`json.loads(to_json())`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.to_json())
    }

    fn __repr__(&self) -> String {
        format!(
            "Cpu(arch={}, model={}, input={})",
            str_repr(self.arch()),
            opt_repr(self.model()),
            opt_repr(self.input())
        )
    }
}

#[pymethods]
impl Comparison {
    /// `"identical"`, `"superset"` or `"incompatible"`.
    #[getter]
    fn verdict(&self) -> &'static str {
        self.inner.verdict().as_str()
    }

    /// Whether the guest runs on the host (identical or superset).
    #[getter]
    fn runs(&self) -> bool {
        self.inner.runs()
    }

    /// Why the guest does not run, in the order the rules ran; empty when it runs.
    #[getter]
    fn reasons<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.inner
                .reasons()
                .iter()
                .map(|r| Reason { inner: r.clone() }),
        )
    }

    /// Features the guest requires that the host lacks.
    #[getter]
    fn missing<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.missing())
    }

    /// Features the guest forbids that the host has.
    #[getter]
    fn forbidden<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.forbidden())
    }

    /// Host features the guest neither requires nor mentions.
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.extra())
    }

    /// JSON text, as `cpucompat compare --format json` prints it.
    fn to_json(&self) -> String {
        cpucompat::to_json_text(&self.inner)
    }

    /// A dict (`json.loads(to_json())`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.to_json())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Comparison>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.to_json().hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        let reasons: Vec<String> = self
            .inner
            .reasons()
            .iter()
            .map(|r| Reason { inner: r.clone() }.__repr__())
            .collect();
        let reasons = if reasons.len() == 1 {
            format!("({},)", reasons[0])
        } else {
            format!("({})", reasons.join(", "))
        };
        format!(
            "Comparison(verdict={}, reasons={reasons}, missing={}, forbidden={}, extra={})",
            str_repr(self.verdict()),
            list_repr(self.inner.missing()),
            list_repr(self.inner.forbidden()),
            list_repr(self.inner.extra())
        )
    }
}

#[pymethods]
impl Reason {
    /// The rule that failed: `libvirt-missing`, `qemu-compat`, ...
    #[getter]
    fn rule(&self) -> &'static str {
        self.inner.rule().as_str()
    }

    /// What failed, one line.
    #[getter]
    fn message(&self) -> &str {
        self.inner.message()
    }

    /// The line in the guest definition where the cause is written, if known.
    #[getter]
    fn line(&self) -> Option<u32> {
        self.inner.pos().map(|p| p.line)
    }

    /// The column in that line, if known.
    #[getter]
    fn column(&self) -> Option<u32> {
        self.inner.pos().map(|p| p.column)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Reason>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        let pos = |v: Option<u32>| v.map_or("None".to_string(), |n| n.to_string());
        format!(
            "Reason(rule={}, message={}, line={}, column={})",
            str_repr(self.rule()),
            str_repr(self.message()),
            pos(self.line()),
            pos(self.column())
        )
    }
}

#[pymethods]
impl ModelInfo {
    /// The model name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The model's vendor, if the catalog gives one.
    #[getter]
    fn vendor(&self) -> Option<&str> {
        self.inner.vendor()
    }

    /// The model this name is an alias of (`Skylake-Client` → `Skylake-Client-v1`).
    #[getter]
    fn canonical(&self) -> Option<&str> {
        self.inner.canonical()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<ModelInfo>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        format!(
            "ModelInfo(name={}, vendor={}, canonical={})",
            str_repr(self.name()),
            opt_repr(self.vendor()),
            opt_repr(self.canonical())
        )
    }
}

#[pymethods]
impl ModelUsability {
    /// The model name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The model's vendor, if the catalog gives one.
    #[getter]
    fn vendor(&self) -> Option<&str> {
        self.inner.model().vendor()
    }

    /// The model this name is an alias of.
    #[getter]
    fn canonical(&self) -> Option<&str> {
        self.inner.model().canonical()
    }

    /// Whether a guest of this model runs on the host.
    #[getter]
    fn usable(&self) -> bool {
        self.inner.usable()
    }

    /// What stops it (features the host lacks, or the rule that fails).
    #[getter]
    fn blockers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.blockers())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<ModelUsability>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        format!(
            "ModelUsability(name={}, usable={}, blockers={})",
            str_repr(self.name()),
            if self.usable() { "True" } else { "False" },
            list_repr(self.inner.blockers())
        )
    }
}

#[pymethods]
impl Expansion {
    /// The model name.
    #[getter]
    fn model(&self) -> &str {
        self.inner.model().name()
    }

    /// The model's vendor, if the catalog gives one.
    #[getter]
    fn vendor(&self) -> Option<&str> {
        self.inner.model().vendor()
    }

    /// The model this name is an alias of.
    #[getter]
    fn canonical(&self) -> Option<&str> {
        self.inner.model().canonical()
    }

    /// Every feature the model enables (x86: catalog order; s390x: QEMU's; POWER: none).
    #[getter]
    fn features<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.features())
    }

    /// What the architecture knows besides the features, as a dict (`{"arch": ...}`).
    #[getter]
    fn details<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &cpucompat::to_json_text(self.inner.details()))
    }

    /// JSON text, as `cpucompat expand MODEL --format json` prints it.
    fn to_json(&self) -> String {
        cpucompat::to_json_text(&self.inner)
    }

    /// A dict (`json.loads(to_json())`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.to_json())
    }

    fn __repr__(&self) -> String {
        format!(
            "Expansion(model={}, vendor={}, features=<{} features>)",
            str_repr(self.model()),
            opt_repr(self.vendor()),
            self.inner.features().len()
        )
    }
}

#[pymodule]
fn _cpucompat(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Engine>()?;
    m.add_class::<Cpu>()?;
    m.add_class::<Comparison>()?;
    m.add_class::<Reason>()?;
    m.add_class::<ModelInfo>()?;
    m.add_class::<ModelUsability>()?;
    m.add_class::<Expansion>()?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("UnknownNameError", py.get_type::<UnknownNameError>())?;
    m.add("InvalidCpuError", py.get_type::<InvalidCpuError>())?;
    m.add("NoAnswerError", py.get_type::<NoAnswerError>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    m.add("CatalogError", py.get_type::<CatalogError>())?;
    m.add("ArgumentError", py.get_type::<ArgumentError>())?;
    Ok(())
}
