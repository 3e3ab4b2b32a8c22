//! A command's arguments, read as QEMU's QAPI input visitor reads them.
//!
//! Rules:
//!
//! 1. the command reads its members in its schema's order; the first failure is the reply:
//!    "Parameter 'X' is missing", "Invalid parameter type for 'X', expected: T";
//! 2. after the last member, [`Args::finish`] refuses the first member (in QEMU's
//!    dictionary order, [`crate::qdict::order`]) that was never read: "Parameter 'X' is
//!    unexpected";
//! 3. members of a nested object are named with their path: `model.name`.
use crate::{qdict, QmpError};
use serde_json::{Map, Value};
use std::cell::RefCell;

/// The arguments of one command (or one nested object of them).
#[derive(Debug)]
pub struct Args<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    seen: RefCell<Vec<String>>,
}

impl<'a> Args<'a> {
    /// The top-level arguments.
    pub fn new(map: &'a Map<String, Value>) -> Args<'a> {
        Args {
            map,
            prefix: String::new(),
            seen: RefCell::default(),
        }
    }

    /// A member's name as errors print it (with the path of the enclosing objects).
    pub fn full(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Reads an optional member.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.seen.borrow_mut().push(name.to_string());
        self.map.get(name)
    }

    /// Reads a required member.
    pub fn required(&self, name: &str) -> Result<&'a Value, QmpError> {
        self.get(name)
            .ok_or_else(|| QmpError::generic(format!("Parameter '{}' is missing", self.full(name))))
    }

    /// Reads a required string member.
    pub fn required_str(&self, name: &str) -> Result<&'a str, QmpError> {
        match self.required(name)? {
            Value::String(s) => Ok(s),
            _ => Err(self.wrong_type(name, "string")),
        }
    }

    /// Reads a required object member, as arguments of its own.
    pub fn required_object(&self, name: &str) -> Result<Args<'a>, QmpError> {
        match self.required(name)? {
            Value::Object(m) => Ok(Args {
                map: m,
                prefix: format!("{}.", self.full(name)),
                seen: RefCell::default(),
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

    /// Refuses the first member never read.
    pub fn finish(&self) -> Result<(), QmpError> {
        let seen = self.seen.borrow();
        for k in qdict::order(self.map.keys().collect()) {
            if !seen.iter().any(|s| s == k) {
                return Err(QmpError::generic(format!(
                    "Parameter '{}' is unexpected",
                    self.full(k)
                )));
            }
        }
        Ok(())
    }
}
