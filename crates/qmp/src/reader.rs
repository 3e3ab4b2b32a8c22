//! The byte stream of a QMP monitor cut into requests, as QEMU 7.2's JSON lexer and
//! streamer cut it (observed on the live binary; there are no lines).
//!
//! **Lexer.** Bytes become tokens:
//!
//! ```text
//! whitespace   SP HT CR LF                     skipped between tokens
//! structural   { } [ ] : ,                     one byte each
//! string       "…" or '…'                      bytes 20..FD; '\' takes the next byte (20..FD)
//!                                              whatever it is; the parser checks escapes
//! integer      -?(0|[1-9][0-9]*)               ended by the first byte that cannot extend it
//! float        integer, then .[0-9]+ and/or [eE][+-]?[0-9]+
//! keyword      [a-z]+                          the parser decides true/false/null
//! ```
//!
//! Any other byte (a control byte, 7F..FF outside strings, an uppercase letter, `%`, `.`,
//! `+`, …), or a byte that cannot continue the token being read (`01`, `1.}`, `-x`, a
//! control byte or FE/FF in a string), is an *error token*: its text is the token read so
//! far plus that byte. Numbers and keywords end at the first byte that cannot extend them,
//! and that byte starts the next token. A token that grows beyond [`MAX_TOKEN_SIZE`]
//! bytes is cut there and refused as too large; lexing goes on from the start state.
//!
//! **Recovery.** After an error token the lexer skips bytes until one of `{ } [ ] , :`, a
//! control byte other than HT, or FE/FF, and reads on from that byte.
//!
//! **Streamer.** Tokens gather into a message while it has more `{` than `}` or more `[`
//! than `]` (and neither count is negative); the token that ends that condition ends the
//! message, which goes to the parser as it is: `3`, `}`, `{"a":1}` and `[}` are each one
//! message. Before a token joins, three limits are checked, in this order; a failing token
//! is dropped with the whole message, and the reply is the limit's error:
//!
//! ```text
//! size      bytes of the message's tokens, this one included, + 1 > MAX_TOKEN_SIZE (64 MiB)
//!           "JSON token size limit exceeded"
//! count     tokens of the message, this one included, > MAX_TOKEN_COUNT (2 Mi)
//!           "JSON token count limit exceeded"
//! nesting   open { plus open [ > MAX_NESTING (1024)
//!           "JSON nesting depth limit exceeded"
//! ```
//!
//! An error token also drops the message: "JSON parse error, stray 'TEXT'", TEXT as QEMU
//! prints the token's bytes ([`crate::utf8::lossy`]: cut at a NUL byte, invalid UTF-8
//! as U+FFFD). After a limit the lexer reads on normally (no recovery), so the rest of a
//! refused value is read as new messages, each with its own reply, as QEMU does.
//!
//! A message still open at the end of the input gets no reply (QEMU waits for more).
//!
//! Memory: the pending message (at most [`MAX_TOKEN_SIZE`] bytes of tokens, at most
//! [`MAX_TOKEN_COUNT`] tokens) plus the token being read (at most [`MAX_TOKEN_SIZE`] + 1
//! bytes). Whitespace and skipped bytes are never kept.
use crate::QmpError;
use std::ops::ControlFlow;

/// The largest message, in bytes of its tokens (QEMU's limit, 64 MiB).
pub const MAX_TOKEN_SIZE: usize = 64 << 20;
/// The most tokens in one message (QEMU's limit, 2 Mi).
pub const MAX_TOKEN_COUNT: usize = 2 << 20;
/// The deepest nesting of `{` and `[` in one message (QEMU's limit).
pub const MAX_NESTING: i64 = 1024;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{`
    LCurly,
    /// `}`
    RCurly,
    /// `[`
    LSquare,
    /// `]`
    RSquare,
    /// `:`
    Colon,
    /// `,`
    Comma,
    /// An integer literal.
    Integer,
    /// A number with a fraction or an exponent.
    Float,
    /// A lowercase word.
    Keyword,
    /// A string, quotes included.
    String,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    end: u32,
}

/// The tokens of one message: kinds and texts.
#[derive(Clone, Copy, Debug)]
pub struct Tokens<'a> {
    text: &'a [u8],
    tokens: &'a [Token],
}

impl<'a> Tokens<'a> {
    /// How many tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Token `i`: its kind and text.
    pub fn get(&self, i: usize) -> Option<(Kind, &'a [u8])> {
        let t = self.tokens.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.tokens[i - 1].end as usize,
        };
        Some((t.kind, &self.text[start..t.end as usize]))
    }
}

/// What the reader hands on.
#[derive(Debug)]
pub enum Message<'a> {
    /// The tokens of one message.
    Value(Tokens<'a>),
    /// A message refused by the lexer or the streamer.
    Error(QmpError),
}

/// Where the reader hands messages.
pub trait Sink {
    /// Offered first, before any token is kept, for a message of the plain shape [`quick`]
    /// reads whole from one chunk: its bytes, from its first token to its last. `None`
    /// declines; the message is then read token by token and handed to [`Sink::message`].
    fn quick(&mut self, request: &str) -> Option<ControlFlow<()>>;
    /// One message; `Break` stops the reader.
    fn message(&mut self, m: Message<'_>) -> ControlFlow<()>;
}

/// The length of a message of the plain shape at the start of `b`, if `b` holds one whole.
///
/// The plain shape: an object or list of strings in double quotes (bytes 20..7E, no `\`),
/// lowercase words, structural bytes and whitespace, nesting within [`MAX_NESTING`], at
/// most 64 KiB. On such bytes the lexer and streamer give exactly the tokens this scan
/// walks over and end the message where it does, so the message's bytes can be answered
/// without keeping its tokens. Anything else (numbers, escapes, single quotes, non-ASCII,
/// control bytes, an open message at the end of `b`) gives `None`.
pub fn quick(b: &[u8]) -> Option<usize> {
    if !matches!(b.first(), Some(b'{' | b'[')) {
        return None;
    }
    let b = &b[..b.len().min(64 << 10)];
    let (mut braces, mut brackets) = (0i64, 0i64);
    let mut i = 0;
    while i < b.len() {
        match PLAIN[usize::from(b[i])] {
            WS | PUNCT => {}
            OPEN_BRACE | OPEN_BRACKET => {
                braces += i64::from(b[i] == b'{');
                brackets += i64::from(b[i] == b'[');
                if braces + brackets > MAX_NESTING {
                    return None;
                }
            }
            CLOSE_BRACE | CLOSE_BRACKET => {
                braces -= i64::from(b[i] == b'}');
                brackets -= i64::from(b[i] == b']');
                if !((braces > 0 || brackets > 0) && braces >= 0 && brackets >= 0) {
                    return Some(i + 1);
                }
            }
            QUOTE => {
                let n = b[i + 1..]
                    .iter()
                    .position(|&c| !IN_STRING[usize::from(c)])?;
                if b[i + 1 + n] != b'"' {
                    return None;
                }
                i += n + 1;
            }
            WORD => {
                let n = b[i..].iter().position(|&c| PLAIN[usize::from(c)] != WORD)?;
                i += n;
                continue;
            }
            _ => return None,
        }
        i += 1;
    }
    None
}

// Byte classes of the plain shape outside strings.
const OTHER: u8 = 0;
const QUOTE: u8 = 1;
const WS: u8 = 2;
const PUNCT: u8 = 3;
const OPEN_BRACE: u8 = 4;
const CLOSE_BRACE: u8 = 5;
const OPEN_BRACKET: u8 = 6;
const CLOSE_BRACKET: u8 = 7;
const WORD: u8 = 8;
const PRINTABLE: u8 = 9;

static PLAIN: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0x20;
    while c < 0x7F {
        t[c] = PRINTABLE;
        c += 1;
    }
    let mut c = b'a';
    while c <= b'z' {
        t[c as usize] = WORD;
        c += 1;
    }
    t[b'"' as usize] = QUOTE;
    t[b'\\' as usize] = OTHER;
    t[b' ' as usize] = WS;
    t[b'\t' as usize] = WS;
    t[b'\r' as usize] = WS;
    t[b'\n' as usize] = WS;
    t[b':' as usize] = PUNCT;
    t[b',' as usize] = PUNCT;
    t[b'{' as usize] = OPEN_BRACE;
    t[b'}' as usize] = CLOSE_BRACE;
    t[b'[' as usize] = OPEN_BRACKET;
    t[b']' as usize] = CLOSE_BRACKET;
    t
};

/// Bytes of a plain string: printable ASCII but `"` and `\`.
static IN_STRING: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0x20;
    while c < 0x7F {
        t[c] = c != b'"' as usize && c != b'\\' as usize;
        c += 1;
    }
    t
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    Recovery,
    Str(u8),
    StrEscape(u8),
    Sign,
    Zero,
    Digits,
    Dot,
    Fraction,
    Exponent,
    ExponentSign,
    ExponentDigits,
    Keyword,
}

/// Bytes allowed inside a string (and after its backslash).
fn string_byte(b: u8) -> bool {
    (0x20..=0xFD).contains(&b)
}

/// Bytes at which recovery stops.
fn sync_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b >= 0xFE || matches!(b, b'{' | b'}' | b'[' | b']' | b',' | b':')
}

/// The lexer and streamer of one monitor connection.
#[derive(Debug)]
pub struct Reader {
    state: State,
    /// Texts of the pending message's tokens, then the text of the token being read.
    text: Vec<u8>,
    /// Where the token being read starts in `text` (= bytes of the pending tokens).
    current: usize,
    tokens: Vec<Token>,
    braces: i64,
    brackets: i64,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

enum Step {
    /// Keep reading.
    Go,
    /// A message is complete (or refused): hand it on.
    Emit(Option<QmpError>),
}

impl Reader {
    /// A reader at the start of a stream.
    pub fn new() -> Reader {
        Reader {
            state: State::Start,
            text: Vec::new(),
            current: 0,
            tokens: Vec::new(),
            braces: 0,
            brackets: 0,
        }
    }

    /// Whether a message is partly read (tokens pending or a token begun).
    pub fn is_pending(&self) -> bool {
        !self.text.is_empty()
    }

    /// Reads a chunk of the stream, handing each message to `sink` as soon as it is
    /// complete; stops early when the sink breaks. State carries over to the next chunk.
    pub fn feed<S: Sink>(&mut self, chunk: &[u8], sink: &mut S) -> ControlFlow<()> {
        // Where a plain message was declined: read it token by token from there.
        let mut declined = usize::MAX;
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            let step = match self.state {
                State::Start => {
                    if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                        i += 1;
                        continue;
                    }
                    if self.tokens.is_empty() && i != declined {
                        if let Some(n) = quick(&chunk[i..]) {
                            // The plain shape is ASCII.
                            let text = std::str::from_utf8(&chunk[i..i + n]).unwrap_or("");
                            match sink.quick(text) {
                                Some(flow) => {
                                    i += n;
                                    flow?;
                                    continue;
                                }
                                None => declined = i,
                            }
                        }
                    }
                    self.text.push(b);
                    i += 1;
                    match b {
                        b'{' => self.token(Kind::LCurly),
                        b'}' => self.token(Kind::RCurly),
                        b'[' => self.token(Kind::LSquare),
                        b']' => self.token(Kind::RSquare),
                        b':' => self.token(Kind::Colon),
                        b',' => self.token(Kind::Comma),
                        b'"' | b'\'' => self.to(State::Str(b)),
                        b'-' => self.to(State::Sign),
                        b'0' => self.to(State::Zero),
                        b'1'..=b'9' => self.to(State::Digits),
                        b'a'..=b'z' => self.to(State::Keyword),
                        _ => self.stray(),
                    }
                }
                State::Recovery => {
                    if sync_byte(b) {
                        self.state = State::Start;
                    } else {
                        i += 1;
                    }
                    continue;
                }
                State::Str(q) => {
                    let run = chunk[i..]
                        .iter()
                        .position(|&c| c == q || c == b'\\' || !string_byte(c))
                        .unwrap_or(chunk.len() - i);
                    if run > 0 {
                        let room = MAX_TOKEN_SIZE + 1 - (self.text.len() - self.current);
                        let take = run.min(room);
                        self.text.extend_from_slice(&chunk[i..i + take]);
                        i += take;
                        if take == room {
                            self.cut()
                        } else {
                            Step::Go
                        }
                    } else {
                        self.text.push(b);
                        i += 1;
                        match b {
                            b'\\' => self.to(State::StrEscape(q)),
                            _ if b == q => self.token(Kind::String),
                            _ => self.stray(),
                        }
                    }
                }
                State::StrEscape(q) => {
                    self.text.push(b);
                    i += 1;
                    if string_byte(b) {
                        self.to(State::Str(q))
                    } else {
                        self.stray()
                    }
                }
                State::Sign => self.consume(b, &mut i, |b| match b {
                    b'0' => Some(State::Zero),
                    b'1'..=b'9' => Some(State::Digits),
                    _ => None,
                }),
                State::Dot => {
                    self.consume(b, &mut i, |b| b.is_ascii_digit().then_some(State::Fraction))
                }
                State::Exponent => self.consume(b, &mut i, |b| match b {
                    b'+' | b'-' => Some(State::ExponentSign),
                    b'0'..=b'9' => Some(State::ExponentDigits),
                    _ => None,
                }),
                State::ExponentSign => self.consume(b, &mut i, |b| {
                    b.is_ascii_digit().then_some(State::ExponentDigits)
                }),
                State::Zero => match b {
                    b'0'..=b'9' => {
                        self.text.push(b);
                        i += 1;
                        self.stray()
                    }
                    _ => self.extend(b, &mut i, Kind::Integer, |b| match b {
                        b'.' => Some(State::Dot),
                        b'e' | b'E' => Some(State::Exponent),
                        _ => None,
                    }),
                },
                State::Digits => self.extend(b, &mut i, Kind::Integer, |b| match b {
                    b'0'..=b'9' => Some(State::Digits),
                    b'.' => Some(State::Dot),
                    b'e' | b'E' => Some(State::Exponent),
                    _ => None,
                }),
                State::Fraction => self.extend(b, &mut i, Kind::Float, |b| match b {
                    b'0'..=b'9' => Some(State::Fraction),
                    b'e' | b'E' => Some(State::Exponent),
                    _ => None,
                }),
                State::ExponentDigits => self.extend(b, &mut i, Kind::Float, |b| {
                    b.is_ascii_digit().then_some(State::ExponentDigits)
                }),
                State::Keyword => self.extend(b, &mut i, Kind::Keyword, |b| {
                    b.is_ascii_lowercase().then_some(State::Keyword)
                }),
            };
            if let Step::Emit(err) = step {
                let flow = match err {
                    Some(e) => sink.message(Message::Error(e)),
                    None => sink.message(Message::Value(Tokens {
                        text: &self.text,
                        tokens: &self.tokens,
                    })),
                };
                self.reset();
                flow?;
            }
        }
        ControlFlow::Continue(())
    }

    fn to(&mut self, s: State) -> Step {
        self.state = s;
        self.check_cut()
    }

    /// A byte that must continue the token (else an error token that includes it).
    fn consume(&mut self, b: u8, i: &mut usize, next: impl Fn(u8) -> Option<State>) -> Step {
        self.text.push(b);
        *i += 1;
        match next(b) {
            Some(s) => self.to(s),
            None => self.stray(),
        }
    }

    /// A byte that may continue the token (else the token ends before it).
    fn extend(
        &mut self,
        b: u8,
        i: &mut usize,
        kind: Kind,
        next: impl Fn(u8) -> Option<State>,
    ) -> Step {
        match next(b) {
            Some(s) => {
                self.text.push(b);
                *i += 1;
                self.to(s)
            }
            None => self.token(kind),
        }
    }

    /// Cuts the token being read when it has grown beyond the limit.
    fn check_cut(&mut self) -> Step {
        if self.text.len() - self.current > MAX_TOKEN_SIZE {
            self.cut()
        } else {
            Step::Go
        }
    }

    /// The token being read is too large: refused, and lexing starts afresh.
    fn cut(&mut self) -> Step {
        self.state = State::Start;
        Step::Emit(Some(QmpError::generic("JSON token size limit exceeded")))
    }

    /// An error token: the text read so far (with the offending byte) is the message.
    fn stray(&mut self) -> Step {
        self.state = State::Recovery;
        let text = crate::utf8::lossy(&self.text[self.current..]);
        Step::Emit(Some(QmpError::generic(format!(
            "JSON parse error, stray '{text}'"
        ))))
    }

    /// A complete token of `kind` (its text ends `text`).
    fn token(&mut self, kind: Kind) -> Step {
        self.state = State::Start;
        match kind {
            Kind::LCurly => self.braces += 1,
            Kind::RCurly => self.braces -= 1,
            Kind::LSquare => self.brackets += 1,
            Kind::RSquare => self.brackets -= 1,
            _ => {}
        }
        if self.text.len() + 1 > MAX_TOKEN_SIZE {
            return Step::Emit(Some(QmpError::generic("JSON token size limit exceeded")));
        }
        if self.tokens.len() + 1 > MAX_TOKEN_COUNT {
            return Step::Emit(Some(QmpError::generic("JSON token count limit exceeded")));
        }
        if self.braces + self.brackets > MAX_NESTING {
            return Step::Emit(Some(QmpError::generic("JSON nesting depth limit exceeded")));
        }
        self.tokens.push(Token {
            kind,
            // text.len() <= MAX_TOKEN_SIZE here, far below u32::MAX.
            end: self.text.len() as u32,
        });
        self.current = self.text.len();
        let open = self.braces > 0 || self.brackets > 0;
        if open && self.braces >= 0 && self.brackets >= 0 {
            Step::Go
        } else {
            Step::Emit(None)
        }
    }

    /// Drops the pending message (after it was handed on or refused).
    fn reset(&mut self) {
        self.text.clear();
        self.tokens.clear();
        self.current = 0;
        self.braces = 0;
        self.brackets = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each message as `Ok(token texts)` or `Err(desc)`.
    /// Collects messages, declining every quick offer.
    struct Collect(Vec<Result<Vec<String>, String>>);

    impl Sink for Collect {
        fn quick(&mut self, _: &str) -> Option<ControlFlow<()>> {
            None
        }
        fn message(&mut self, m: Message<'_>) -> ControlFlow<()> {
            self.0.push(match m {
                Message::Value(tokens) => Ok((0..tokens.len())
                    .map(|i| String::from_utf8_lossy(tokens.get(i).unwrap().1).into_owned())
                    .collect()),
                Message::Error(e) => Err(e.desc),
            });
            ControlFlow::Continue(())
        }
    }

    fn messages(chunks: &[&[u8]]) -> Vec<Result<Vec<String>, String>> {
        let mut r = Reader::new();
        let mut out = Collect(Vec::new());
        for c in chunks {
            let _ = r.feed(c, &mut out);
        }
        out.0
    }

    fn ok(t: &[&str]) -> Result<Vec<String>, String> {
        Ok(t.iter().map(|s| s.to_string()).collect())
    }

    fn stray(t: &str) -> Result<Vec<String>, String> {
        Err(format!("JSON parse error, stray '{t}'"))
    }

    #[test]
    fn values_split_where_qemu_splits_them() {
        assert_eq!(
            messages(&[b"{\"a\":\n1}{}3 4\n]["]),
            [
                ok(&["{", "\"a\"", ":", "1", "}"]),
                ok(&["{", "}"]),
                ok(&["3"]),
                ok(&["4"]),
                ok(&["]"]),
            ]
        );
        assert_eq!(
            messages(&[b"[}", b"{]"]),
            [ok(&["[", "}"]), ok(&["{", "]"])]
        );
        assert_eq!(messages(&[b"0a 12a -5x "]).len(), 6);
        assert_eq!(messages(&[b"-5x"]).len(), 1);
    }

    #[test]
    fn chunks_do_not_matter() {
        let input: &[u8] = b"{'a': \"x\\\"y\", \"b\": [1.5e3, -0, true]} @\t1\n7 ";
        let whole = messages(&[input]);
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(messages(&bytes), whole);
        assert_eq!(whole.len(), 3);
    }

    #[test]
    fn error_tokens_hold_the_text_read_so_far() {
        assert_eq!(messages(&[b"01 "]), [stray("01")]);
        assert_eq!(messages(&[b"1.}"]), [stray("1.}")]);
        assert_eq!(messages(&[b"-\n"]), [stray("-\n")]);
        assert_eq!(messages(&[b"1e+}"]), [stray("1e+}")]);
        assert_eq!(messages(&[b"\"a\x00b\""]), [stray("\"a")]);
        assert_eq!(
            messages(&[b"\"\xc3\x28\xff"]),
            [stray("\"\u{FFFD}(\u{FFFD}")]
        );
        assert_eq!(messages(&[b"\"\\\x01"]), [stray("\"\\\u{1}")]);
        assert_eq!(messages(&[b"truE "]), [ok(&["tru"]), stray("E")]);
    }

    #[test]
    fn recovery_stops_at_structure_and_control_bytes() {
        // Not at SP, HT, quotes, 7F or FD; at , : [ ] { } CR NUL 1F FE.
        assert_eq!(messages(&[b"@ 1\t2\"3'\x7f\xfd4\n"]), [stray("@")]);
        assert_eq!(messages(&[b"@,1 "]), [stray("@"), ok(&[","]), ok(&["1"])]);
        assert_eq!(messages(&[b"@\r1 "]), [stray("@"), ok(&["1"])]);
        assert_eq!(messages(&[b"@\x001 "]), [stray("@"), stray("")]);
        assert_eq!(messages(&[b"@\xfe"]), [stray("@"), stray("\u{FFFD}")]);
        assert_eq!(messages(&[b"{\"a\":@}"]), [stray("@"), ok(&["}"])]);
    }

    #[test]
    fn nesting_beyond_the_limit_drops_the_message_and_reads_on() {
        let mut input = vec![b'['; 1025];
        input.extend_from_slice(b"]]");
        let m = messages(&[&input]);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0], Err("JSON nesting depth limit exceeded".into()));
        assert_eq!(m[1], ok(&["]"]));
        let mut fits = vec![b'['; 1024];
        fits.extend(vec![b']'; 1024]);
        assert_eq!(messages(&[&fits]).len(), 1);
    }

    #[test]
    fn the_plain_shape_ends_where_the_streamer_ends_messages() {
        assert_eq!(quick(b"{\"a\": [true, \"b\"]} x"), Some(18));
        assert_eq!(quick(b"[}{"), Some(2));
        assert_eq!(quick(b"{\"a\":truex}"), Some(11));
        assert_eq!(quick(b"{\"a\":1}"), None);
        assert_eq!(quick(b"{\"a\\\"\":1}"), None);
        assert_eq!(quick(b"{'a':x}"), None);
        assert_eq!(quick(b"{\"\xc3\xa9\":x}"), None);
        assert_eq!(quick(b"{\"a\":x"), None);
        assert_eq!(quick(b"\"a\""), None);
        assert_eq!(quick(&[b'['; 1025]), None);
    }

    #[test]
    fn an_open_message_at_the_end_gets_nothing() {
        assert!(messages(&[b"{\"a\": [1, 2"]).is_empty());
        assert!(messages(&[b"123"]).is_empty());
    }
}
