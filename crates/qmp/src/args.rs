//! A command's arguments, read as QEMU's QAPI input visitor reads them.
//!
//! Rules:
//!
//! 1. the command reads its members in its schema's order; the first failure is the reply:
//!    "Parameter 'X' is missing", "Invalid parameter type for 'X', expected: T";
//! 2. after the last member, [`Args::finish`] refuses a member that was never read:
//!    "Parameter 'X' is unexpected". QEMU keeps the members not yet read in a GLib hash
//!    table (filled in its dictionary order, [`crate::qdict::order`]; each member read is
//!    removed) and names the first one left in that table's order ([`crate::ghash`]);
//! 3. members of a nested object are named with their path: `model.name`.
use crate::ghash::StrSet;
use crate::{qdict, QmpError};
use serde_json::{Map, Value};
use std::cell::RefCell;

/// The arguments of one command (or one nested object of them).
#[derive(Debug)]
pub struct Args<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    unread: RefCell<StrSet>,
}

/// The members of an object as QEMU's visitor holds them before any is read.
fn unread(map: &Map<String, Value>) -> RefCell<StrSet> {
    let mut t = StrSet::new();
    for k in qdict::order(map.keys().collect()) {
        t.insert(k);
    }
    RefCell::new(t)
}

impl<'a> Args<'a> {
    /// The top-level arguments.
    pub fn new(map: &'a Map<String, Value>) -> Args<'a> {
        Args {
            map,
            prefix: String::new(),
            unread: unread(map),
        }
    }

    /// A member's name as errors print it (with the path of the enclosing objects).
    pub fn full(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Reads an optional member.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.unread.borrow_mut().remove(name);
        self.map.get(name)
    }

    /// Reads a required member.
    ///
    /// # Errors
    /// A `GenericError` [`QmpError`] "Parameter 'X' is missing" (X with the path of the
    /// enclosing objects, e.g. `model.name`) when the member is absent.
    pub fn required(&self, name: &str) -> Result<&'a Value, QmpError> {
        self.get(name)
            .ok_or_else(|| QmpError::generic(format!("Parameter '{}' is missing", self.full(name))))
    }

    /// Reads a required string member.
    ///
    /// # Errors
    /// As [`Args::required`] for an absent member; "Invalid parameter type for 'X',
    /// expected: string" when it is not a string.
    pub fn required_str(&self, name: &str) -> Result<&'a str, QmpError> {
        match self.required(name)? {
            Value::String(s) => Ok(s),
            _ => Err(self.wrong_type(name, "string")),
        }
    }

    /// Reads a required object member, as arguments of its own.
    ///
    /// # Errors
    /// As [`Args::required`] for an absent member; "Invalid parameter type for 'X',
    /// expected: object" when it is not an object.
    pub fn required_object(&self, name: &str) -> Result<Args<'a>, QmpError> {
        match self.required(name)? {
            Value::Object(m) => Ok(Args {
                map: m,
                prefix: format!("{}.", self.full(name)),
                unread: unread(m),
            }),
            _ => Err(self.wrong_type(name, "object")),
        }
    }

    /// "Invalid parameter type for 'X', expected: T".
    pub fn wrong_type(&self, name: &str, expected: &str) -> QmpError {
        QmpError::generic(format!(
            "Invalid parameter type for '{}', expected: {expected}",
            self.full(name)
        ))
    }

    /// Refuses the member never read that QEMU names first.
    ///
    /// # Errors
    /// A `GenericError` [`QmpError`] "Parameter 'X' is unexpected" when a member was never
    /// read, naming the first one left in QEMU's hash-table order.
    pub fn finish(&self) -> Result<(), QmpError> {
        match self.unread.borrow().iter().next() {
            Some(k) => Err(QmpError::generic(format!(
                "Parameter '{}' is unexpected",
                self.full(k)
            ))),
            None => Ok(()),
        }
    }
}
