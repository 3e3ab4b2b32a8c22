//! The body of the cargo-fuzz target `qmp_session` (feature `fuzzing`): one QMP session
//! over arbitrary bytes, with [`Echo`], a small monitor. It must never panic, and checks:
//!
//! * **chunks do not matter**: the replies are the same whether the bytes come in one
//!   chunk, one byte at a time, or in chunks of varying size;
//! * **shape**: every reply is one line, an object that starts with `{"return": `,
//!   `{"error": {"class": "` or `{"id": `;
//! * **bounded output**: there are at most as many replies as input bytes (each reply
//!   consumes bytes of its own), and a reply is at most 8 bytes per input byte plus 256 (an
//!   invalid byte is echoed as the 6 bytes `\uFFFD`; `0.1,` becomes the 21 bytes
//!   `0.10000000000000001, `);
//! * **count**: one reply per message, where messages are counted by [`count_messages`], a
//!   plain second reading of the splitting rules of [`crate::reader`] (byte by byte, no
//!   fast paths); after `quit` there are fewer, and the last reply is `quit`'s.
use crate::{Args, Monitor, QmpError, Reply, Session};
use serde_json::Value;

/// A monitor with one command, `echo`, which returns its required string `text`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Echo;

impl Monitor for Echo {
    fn version(&self) -> (u32, u32, u32) {
        (7, 2, 22)
    }
    fn package(&self) -> String {
        "fuzz".into()
    }
    fn has_command(&self, command: &str) -> bool {
        command == "echo"
    }
    fn execute(&mut self, command: &str, args: &Args<'_>) -> Result<Reply, QmpError> {
        match command {
            "echo" => {
                let t = args.required_str("text")?;
                args.finish()?;
                Ok(Reply::value(&Value::String(t.into())))
            }
            other => Err(QmpError::not_found(other)),
        }
    }
}

/// Runs one session over `data` and checks the laws above; panics (a finding) if one fails.
pub fn session_bytes(data: &[u8]) {
    let mut s = Session::new(Echo);
    let whole = s.replies(data);
    let quit = s.has_quit();

    let mut s = Session::new(Echo);
    let mut bytes = Vec::new();
    for b in data.chunks(1) {
        bytes.extend(s.replies(b));
    }
    assert_eq!(bytes, whole, "byte-at-a-time replies differ");

    let mut s = Session::new(Echo);
    let mut varied = Vec::new();
    let mut rest = data;
    let mut k = 0usize;
    while !rest.is_empty() {
        let n = (1 + (k * 7 + usize::from(rest[0])) % 13).min(rest.len());
        varied.extend(s.replies(&rest[..n]));
        rest = &rest[n..];
        k += 1;
    }
    assert_eq!(varied, whole, "chunked replies differ");

    assert!(whole.len() <= data.len(), "more replies than input bytes");
    for r in &whole {
        assert!(!r.contains(['\r', '\n']), "reply spans lines: {r}");
        assert!(
            r.starts_with("{\"return\": ")
                || r.starts_with("{\"error\": {\"class\": \"")
                || r.starts_with("{\"id\": "),
            "reply shape: {r}"
        );
        assert!(r.ends_with('}'), "reply shape: {r}");
        assert!(
            r.len() <= 8 * data.len() + 256,
            "reply too long: {}",
            r.len()
        );
    }

    let expected = count_messages(data);
    if quit {
        assert!(
            whole.len() <= expected,
            "{} replies, {expected} messages",
            whole.len()
        );
        let last = whole.last().map_or("", String::as_str);
        assert!(
            last.starts_with("{\"return\": {}"),
            "last reply is not quit's: {last}"
        );
    } else {
        assert_eq!(whole.len(), expected, "replies and messages");
    }
}

/// How many messages QEMU's lexer and streamer cut `data` into (nesting limit included;
/// the size and count limits need megabytes and are not modelled).
pub fn count_messages(data: &[u8]) -> usize {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        Start,
        Recover,
        Str(u8),
        Esc(u8),
        Sign,
        Zero,
        Int,
        Dot,
        Frac,
        E,
        ESign,
        EDigits,
        Word,
    }
    #[derive(Default)]
    struct Count {
        braces: i64,
        brackets: i64,
        messages: usize,
    }
    impl Count {
        fn token(&mut self, braces: i64, brackets: i64) {
            self.braces += braces;
            self.brackets += brackets;
            let open = self.braces > 0 || self.brackets > 0;
            let waiting = open && self.braces >= 0 && self.brackets >= 0;
            if self.braces + self.brackets > crate::MAX_NESTING || !waiting {
                self.end();
            }
        }
        fn end(&mut self) {
            self.messages += 1;
            self.braces = 0;
            self.brackets = 0;
        }
    }
    let mut c = Count::default();
    let mut s = S::Start;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        let mut next = i + 1;
        let t = match s {
            S::Start => match b {
                b' ' | b'\t' | b'\r' | b'\n' => S::Start,
                b'{' | b'}' | b'[' | b']' | b':' | b',' => {
                    let d = |x: u8, y: u8| i64::from(b == x) - i64::from(b == y);
                    c.token(d(b'{', b'}'), d(b'[', b']'));
                    S::Start
                }
                b'"' | b'\'' => S::Str(b),
                b'-' => S::Sign,
                b'0' => S::Zero,
                b'1'..=b'9' => S::Int,
                b'a'..=b'z' => S::Word,
                _ => S::Recover,
            },
            S::Recover => {
                let sync = (b < 0x20 && b != b'\t')
                    || b >= 0xFE
                    || matches!(b, b'{' | b'}' | b'[' | b']' | b',' | b':');
                if sync {
                    next = i;
                    S::Start
                } else {
                    S::Recover
                }
            }
            S::Str(q) if b == q => {
                c.token(0, 0);
                S::Start
            }
            S::Str(q) if b == b'\\' => S::Esc(q),
            S::Str(q) | S::Esc(q) if (0x20..=0xFD).contains(&b) => S::Str(q),
            S::Sign if b == b'0' => S::Zero,
            S::Sign | S::Int if b.is_ascii_digit() => S::Int,
            S::Zero | S::Int if b == b'.' => S::Dot,
            S::Zero | S::Int | S::Frac if b == b'e' || b == b'E' => S::E,
            S::Dot | S::Frac if b.is_ascii_digit() => S::Frac,
            S::E if b == b'+' || b == b'-' => S::ESign,
            S::E | S::ESign | S::EDigits if b.is_ascii_digit() => S::EDigits,
            S::Word if b.is_ascii_lowercase() => S::Word,
            S::Zero if b.is_ascii_digit() => S::Recover,
            S::Zero | S::Int | S::Frac | S::EDigits | S::Word => {
                c.token(0, 0);
                next = i;
                S::Start
            }
            S::Str(_) | S::Esc(_) | S::Sign | S::Dot | S::E | S::ESign => S::Recover,
        };
        if t == S::Recover && s != S::Recover {
            c.end();
        }
        s = t;
        i = next;
    }
    c.messages
}
