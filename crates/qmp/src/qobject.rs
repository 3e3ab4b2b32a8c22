//! QEMU's `QObject`: the value a request parses into, and the text QEMU writes it back as
//! (the echoed `id`).
//!
//! Rules (QEMU 7.2, observed):
//!
//! 1. numbers: an integer literal is an `int` when it fits i64, else a `uint` when it fits
//!    u64, else a `double`; every other number literal is a `double` (±inf when out of
//!    range, 0 when below the smallest subnormal). So `-0` is the int 0, and `1e5`,
//!    `-0.0`, `1.0` are doubles;
//! 2. an int or uint is written in decimal; a double as C's `%.17g`: 17 significant
//!    digits, trailing zeros dropped, exponent form (`1e+17`, `1.0000000000000001e-05`)
//!    when the exponent is below -4 or above 16, and `inf`, `-inf`, `-0` as such (so a
//!    reply may hold `inf`, which is not JSON: QEMU writes it so);
//! 3. an object is a `QDict`: keys unique, written in QEMU's dictionary order
//!    ([`crate::qdict::order`]); `": "` after keys, `", "` between members;
//! 4. strings are written as [`crate::qdict`] writes them (`\uXXXX` for control and
//!    non-ASCII characters).
use crate::qdict;
use serde_json::{Map, Number, Value};
use std::fmt::Write;

/// A parsed JSON value, as QEMU holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum QObject {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// An integer that fits i64.
    Int(i64),
    /// A non-negative integer beyond i64 that fits u64.
    Uint(u64),
    /// Any other number (may be infinite).
    Double(f64),
    /// A string (U+0000 allowed).
    Str(String),
    /// A list.
    List(Vec<QObject>),
    /// An object: members in insertion order, keys unique.
    Dict(Vec<(String, QObject)>),
}

impl QObject {
    /// A member of an object.
    pub fn get(&self, key: &str) -> Option<&QObject> {
        match self {
            QObject::Dict(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as serde_json holds it, for commands. A non-finite double (which serde_json
    /// cannot hold) becomes ±`f64::MAX`: commands only look at its type (a number that is
    /// not an integer), and both are doubles that fit no integer type.
    pub fn to_value(&self) -> Value {
        match self {
            QObject::Null => Value::Null,
            QObject::Bool(b) => Value::Bool(*b),
            QObject::Int(i) => Value::Number((*i).into()),
            QObject::Uint(u) => Value::Number((*u).into()),
            QObject::Double(d) => {
                let d = if d.is_finite() {
                    *d
                } else {
                    f64::MAX.copysign(*d)
                };
                Number::from_f64(d).map_or(Value::Null, Value::Number)
            }
            QObject::Str(s) => Value::String(s.clone()),
            QObject::List(l) => Value::Array(l.iter().map(QObject::to_value).collect()),
            QObject::Dict(m) => Value::Object(to_map(m)),
        }
    }

    /// The JSON text QEMU writes for the value.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            QObject::Null => out.push_str("null"),
            QObject::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            QObject::Int(i) => {
                let _ = write!(out, "{i}");
            }
            QObject::Uint(u) => {
                let _ = write!(out, "{u}");
            }
            QObject::Double(d) => out.push_str(&format_g17(*d)),
            QObject::Str(s) => qdict::write_string(out, s),
            QObject::List(l) => {
                out.push('[');
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    x.write(out);
                }
                out.push(']');
            }
            QObject::Dict(m) => {
                out.push('{');
                let keys = qdict::order(m.iter().map(|(k, _)| k.as_str()).collect());
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    qdict::write_string(out, k);
                    out.push_str(": ");
                    if let Some((_, v)) = m.iter().find(|(key, _)| key == k) {
                        v.write(out);
                    }
                }
                out.push('}');
            }
        }
    }
}

/// An object's members as a serde_json map (insertion order kept).
pub fn to_map(m: &[(String, QObject)]) -> Map<String, Value> {
    m.iter().map(|(k, v)| (k.clone(), v.to_value())).collect()
}

/// C's `printf("%.17g", d)`.
pub fn format_g17(d: f64) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if d.is_infinite() {
        return if d < 0.0 { "-inf" } else { "inf" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // 17 significant digits, correctly rounded: "d.dddddddddddddddde±x".
    let sci = format!("{:.16e}", d.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if d < 0.0 {
        out.push('-');
    }
    if !(-4..17).contains(&exp) {
        let m = mantissa.trim_end_matches('0').trim_end_matches('.');
        let _ = write!(
            out,
            "{m}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
        return out;
    }
    let fixed = if exp >= 0 {
        let (int, frac) = digits.split_at(exp as usize + 1);
        format!("{int}.{frac}")
    } else {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    };
    out.push_str(fixed.trim_end_matches('0').trim_end_matches('.'));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each as QEMU 7.2 echoed it in an `id`.
    #[test]
    fn doubles_are_written_as_printf_17g() {
        let cases = [
            (0.1, "0.10000000000000001"),
            (1e5, "100000"),
            (-0.0, "-0"),
            (1.0, "1"),
            (1.5e300, "1.5000000000000001e+300"),
            (1.8446744073709552e19, "1.8446744073709552e+19"),
            (-(2f64.powi(63)), "-9.2233720368547758e+18"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e-5, "1.0000000000000001e-05"),
            (5e-324, "4.9406564584124654e-324"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (1e-4, "0.0001"),
            (1.25e-5, "1.2500000000000001e-05"),
            (1.23, "1.23"),
            (0.5, "0.5"),
            (1e21, "1e+21"),
        ];
        for (d, want) in cases {
            assert_eq!(format_g17(d), want, "{d:e}");
        }
    }

    #[test]
    fn objects_are_written_in_qdict_order() {
        let v = QObject::Dict(vec![
            ("b".into(), QObject::Int(1)),
            ("a".into(), QObject::Int(2)),
            (
                "c".into(),
                QObject::List(vec![
                    QObject::Int(1),
                    QObject::Dict(vec![
                        ("z".into(), QObject::Int(0)),
                        ("y".into(), QObject::Int(1)),
                    ]),
                ]),
            ),
        ]);
        assert_eq!(
            v.to_text(),
            r#"{"a": 2, "b": 1, "c": [1, {"y": 1, "z": 0}]}"#
        );
    }

    #[test]
    fn values_keep_their_number_types() {
        assert_eq!(QObject::Int(-1).to_value(), serde_json::json!(-1));
        assert!(QObject::Double(1e5).to_value().is_f64());
        assert_eq!(
            QObject::Double(f64::NEG_INFINITY).to_value().as_f64(),
            Some(-f64::MAX)
        );
    }
}
