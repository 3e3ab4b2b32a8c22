//! CPU classes: the hosts of a pool grouped by what they are, streamed.
//!
//! A class is every host with the same lattice point ([`Engine::point`]: architecture,
//! vendor, level, features), the same model and vendor names, and on POWER the same PVR
//! (raw-mode migration needs the processor's DD class). Hosts of one class are
//! interchangeable for every question the fleet module asks, so each question is asked
//! once per class, of its first host (its representative).
//!
//! Reading is one pass over the pool ([`Engine::read_pool`]): a class keeps its
//! representative [`Cpu`] and, per host, 8 bytes (the input's number and the `<cpu>`'s
//! line), so 100,000 hosts of 50 classes hold 50 CPUs and 800 KB of host references.
//!
//! Classes are numbered in order of first appearance, `C1`, `C2` …; hosts added later
//! (the what-if's `--add`) join an existing class or open a new one after the others, so
//! numbers stay stable.
use crate::error::{Error, ErrorKind};
use crate::{Cpu, Engine, Input, PoolItem};
use cpucompat_lattice::Point;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A class's number: `C1` is the first class read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassId(pub(crate) usize);

impl ClassId {
    /// The 0-based index (`C1` is 0).
    pub fn index(self) -> usize {
        self.0
    }

    /// Reads `C3` (or `c3`).
    pub fn parse(text: &str) -> Option<ClassId> {
        let n: usize = text.strip_prefix(['C', 'c'])?.parse().ok()?;
        n.checked_sub(1).map(ClassId)
    }
}

impl fmt::Display for ClassId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C{}", self.0 + 1)
    }
}

impl Serialize for ClassId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One host of a pool: which input it came from and the line of its `<cpu>` (0 for a
/// dump).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct HostRef {
    input: u32,
    line: u32,
}

/// The inputs a pool was read from, and how many CPUs each held: what host names are
/// made of.
#[derive(Clone, Debug, Default)]
struct Inputs {
    names: Vec<Arc<str>>,
    counts: Vec<u32>,
}

impl Inputs {
    fn name_of(&self, h: HostRef) -> String {
        let name = &self.names[h.input as usize];
        if self.counts[h.input as usize] > 1 && h.line > 0 {
            format!("{name}:{}", h.line)
        } else {
            name.to_string()
        }
    }
}

/// The hosts of a class, by name: the input, and `:LINE` when the input holds more than
/// one CPU. Names are made when asked for; until then a host costs 8 bytes. Serializes as
/// a list of strings.
#[derive(Clone, Debug)]
pub struct HostNames {
    inputs: Arc<Inputs>,
    refs: Vec<HostRef>,
}

impl HostNames {
    /// How many hosts.
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Every name, in reading order.
    pub fn iter(&self) -> impl Iterator<Item = String> + '_ {
        self.refs.iter().map(|h| self.inputs.name_of(*h))
    }

    /// The first `n` names.
    pub fn first(&self, n: usize) -> Vec<String> {
        self.iter().take(n).collect()
    }

    /// Every name.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().collect()
    }

    /// Whether a host of that name is among them.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }
}

impl<'a> IntoIterator for &'a HostNames {
    type Item = String;
    type IntoIter = Box<dyn Iterator<Item = String> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl Serialize for HostNames {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The identity of a class.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    point: Point,
    model: Option<String>,
    vendor: Option<String>,
    pvr: Option<String>,
}

/// A CPU class: the hosts that are the same CPU.
#[derive(Clone, Debug)]
pub struct Class {
    id: ClassId,
    cpu: Cpu,
    hosts: Vec<HostRef>,
}

impl Class {
    /// Its number.
    pub fn id(&self) -> ClassId {
        self.id
    }

    /// The first host read of the class: what every question is asked of.
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// How many hosts it has.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether it has no host left (after a what-if removal).
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }
}

/// A pool read into classes (see the module documentation).
#[derive(Clone, Debug)]
pub struct Fleet {
    engine: Engine,
    classes: Vec<Class>,
    index: HashMap<Key, usize>,
    inputs: Arc<Inputs>,
}

impl Fleet {
    /// An empty pool decided by `engine`.
    pub fn new(engine: &Engine) -> Fleet {
        Fleet {
            engine: engine.clone(),
            classes: Vec::new(),
            index: HashMap::new(),
            inputs: Arc::new(Inputs::default()),
        }
    }

    /// Every host of `inputs`, streamed ([`Engine::read_pool`]).
    ///
    /// # Errors
    /// The first input error (unreadable, malformed, an unknown name, an input without a
    /// CPU), as [`Engine::read_pool`] reports it.
    pub fn read<I>(engine: &Engine, inputs: I) -> Result<Fleet, Error>
    where
        I: IntoIterator<Item = Input>,
        I::IntoIter: 'static,
    {
        let mut f = Fleet::new(engine);
        f.add_inputs(inputs)?;
        Ok(f)
    }

    /// Adds every host of `inputs`.
    ///
    /// # Errors
    /// As [`Fleet::read`].
    pub fn add_inputs<I>(&mut self, inputs: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = Input>,
        I::IntoIter: 'static,
    {
        let engine = self.engine.clone();
        for item in engine.read_pool(inputs) {
            self.add(item?)?;
        }
        Ok(())
    }

    /// Adds hosts given as CPUs (or a [`crate::Pool`]).
    ///
    /// # Errors
    /// The stream's first error; a CPU read by another engine.
    pub fn extend<I>(&mut self, cpus: I) -> Result<(), Error>
    where
        I: IntoIterator,
        I::Item: PoolItem,
    {
        for c in cpus {
            self.add(c.into_cpu()?)?;
        }
        Ok(())
    }

    /// Adds one host.
    ///
    /// # Errors
    /// A CPU read by another engine.
    pub fn add(&mut self, cpu: Cpu) -> Result<(), Error> {
        let point = self.engine.point(&cpu)?;
        let pvr = match self.engine.ppc64() {
            Some(p) => p.pvr_of(&cpu)?.map(|v| v.to_string()),
            None => None,
        };
        let def = cpu.definition();
        let key = Key {
            point,
            model: def.model_name().map(str::to_string),
            vendor: def.vendor.clone(),
            pvr,
        };
        let input = match cpu.input() {
            Some(name) => self.intern(name),
            None => self.intern("<cpu>"),
        };
        let inputs = Arc::make_mut(&mut self.inputs);
        inputs.counts[input as usize] = inputs.counts[input as usize].saturating_add(1);
        let host = HostRef {
            input,
            line: cpu.pos().line,
        };
        match self.index.get(&key) {
            Some(&i) => self.classes[i].hosts.push(host),
            None => {
                let i = self.classes.len();
                self.index.insert(key, i);
                self.classes.push(Class {
                    id: ClassId(i),
                    cpu,
                    hosts: vec![host],
                });
            }
        }
        Ok(())
    }

    fn intern(&mut self, name: &str) -> u32 {
        // Inputs come one after another: the last one is almost always the one asked for.
        if let Some(i) = self.inputs.names.iter().rposition(|n| &**n == name) {
            return i as u32;
        }
        let inputs = Arc::make_mut(&mut self.inputs);
        inputs.names.push(name.into());
        inputs.counts.push(0);
        (inputs.names.len() - 1) as u32
    }

    /// Reads a guest (the first CPU of `input`: a guest `<cpu>`, a domain …) to be judged
    /// against this pool. On s390x a `host-model`, `host-passthrough` or `max` guest only
    /// means something on a host: it is read as QEMU reads it on the pool's first host
    /// ([`Engine::for_host`]), and every fleet question judges its definition again on each
    /// host it asks about.
    ///
    /// # Errors
    /// As [`Engine::read_one`].
    pub fn read_guest(&self, input: Input) -> Result<Cpu, Error> {
        match self.classes().next() {
            Some(c) if self.engine.s390x().is_some() => {
                self.engine.for_host(c.cpu())?.read_one(input)
            }
            _ => self.engine.read_one(input),
        }
    }

    /// The engine that decides for this pool.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The classes that still have hosts, in number order.
    pub fn classes(&self) -> impl Iterator<Item = &Class> + '_ {
        self.classes.iter().filter(|c| !c.hosts.is_empty())
    }

    /// A class by number, if it has hosts.
    pub fn class(&self, id: ClassId) -> Option<&Class> {
        self.classes.get(id.0).filter(|c| !c.hosts.is_empty())
    }

    /// How many classes have hosts.
    pub fn class_count(&self) -> usize {
        self.classes().count()
    }

    /// How many hosts the pool has.
    pub fn hosts(&self) -> usize {
        self.classes.iter().map(|c| c.hosts.len()).sum()
    }

    /// The hosts of a class, by name (see [`HostNames`]).
    pub fn host_names(&self, class: &Class) -> HostNames {
        HostNames {
            inputs: self.inputs.clone(),
            refs: class.hosts.clone(),
        }
    }

    /// Removes a whole class (its number stays taken).
    ///
    /// # Errors
    /// No class of that number has hosts ([`ErrorKind::Argument`]).
    pub fn remove_class(&mut self, id: ClassId) -> Result<usize, Error> {
        match self.classes.get_mut(id.0) {
            Some(c) if !c.hosts.is_empty() => Ok(std::mem::take(&mut c.hosts).len()),
            _ => Err(Error::new(
                ErrorKind::Argument,
                format!("no class {id} in the pool"),
            )),
        }
    }

    /// Removes every host read from input `name`; a class left without hosts disappears
    /// .
    ///
    /// # Errors
    /// No host of the pool came from that input ([`ErrorKind::Argument`]).
    pub fn remove_input(&mut self, name: &str) -> Result<usize, Error> {
        let Some(i) = self.inputs.names.iter().position(|n| &**n == name) else {
            return Err(Error::new(
                ErrorKind::Argument,
                format!("no host of the pool was read from {name}"),
            ));
        };
        let i = i as u32;
        let mut removed = 0;
        for c in &mut self.classes {
            // The representative stays even when its own host goes: the class's other
            // hosts are the same CPU, and every question is about the class.
            let before = c.hosts.len();
            c.hosts.retain(|h| h.input != i);
            removed += before - c.hosts.len();
        }
        Ok(removed)
    }

    /// The pool with only the classes `keep` says yes to (same numbers).
    pub fn filtered(&self, keep: impl Fn(&Class) -> bool) -> Fleet {
        let mut f = self.clone();
        for c in &mut f.classes {
            if !keep(c) {
                c.hosts.clear();
            }
        }
        f
    }
}
