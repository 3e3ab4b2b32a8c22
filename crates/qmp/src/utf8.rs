//! QEMU's UTF-8: the rules by which its JSON parser accepts the bytes of a string, and by
//! which its JSON writer prints bytes that are not valid (observed on QEMU 7.2).
//!
//! QEMU stores strings in *modified* UTF-8: U+0000 is the two bytes `C0 80`, so a C string
//! never holds a NUL. One sequence is decoded from a lead byte:
//!
//! ```text
//! 00..7F          one byte
//! 80..BF          a stray continuation byte: invalid, 1 byte
//! C0..DF E0..EF   a sequence of 2, 3,
//! F0..F7 F8..FB   4, 5,
//! FC..FD          6 bytes (lead plus continuation bytes 80..BF)
//! FE FF           invalid, 1 byte
//! ```
//!
//! A sequence cut short (a byte that is not a continuation, or the end) is invalid and
//! spans the bytes read so far; the next byte starts a new sequence. A complete sequence is
//! invalid, as one unit, when its code point is overlong (except `C0 80`, U+0000), a
//! surrogate (D800..DFFF), above 10FFFF, or a noncharacter (FDD0..FDEF, or xxFFFE/xxFFFF).
//!
//! The parser refuses a string holding an invalid sequence ("invalid UTF-8 sequence in
//! string"); the writer prints each invalid sequence as `\uFFFD` ([`lossy`]).

/// Whether a code point is one QEMU accepts in a string (U+0000 included).
pub fn is_valid(cp: u32) -> bool {
    !((0xD800..=0xDFFF).contains(&cp)
        || cp > 0x10_FFFF
        || (0xFDD0..=0xFDEF).contains(&cp)
        || cp & 0xFFFE == 0xFFFE)
}

/// Decodes the sequence starting at `b[0]` (`b` not empty): the code point, or `None` when
/// the sequence is invalid, and the number of bytes it spans (at least 1).
pub fn decode(b: &[u8]) -> (Option<u32>, usize) {
    let lead = b[0];
    let (len, min, bits) = match lead {
        0x00..=0x7F => return (Some(u32::from(lead)), 1),
        0x80..=0xBF | 0xFE | 0xFF => return (None, 1),
        0xC0..=0xDF => (2, 0x80, lead & 0x1F),
        0xE0..=0xEF => (3, 0x800, lead & 0x0F),
        0xF0..=0xF7 => (4, 0x1_0000, lead & 0x07),
        0xF8..=0xFB => (5, 0x20_0000, lead & 0x03),
        0xFC..=0xFD => (6, 0x400_0000, lead & 0x01),
    };
    let mut cp = u32::from(bits);
    for i in 1..len {
        match b.get(i) {
            Some(&c) if c & 0xC0 == 0x80 => cp = (cp << 6) | u32::from(c & 0x3F),
            _ => return (None, i),
        }
    }
    let overlong = cp < min && !(len == 2 && cp == 0);
    if overlong || !is_valid(cp) {
        (None, len)
    } else {
        (Some(cp), len)
    }
}

/// The text QEMU's writer gives bytes of a C string: cut at the first NUL byte, every
/// invalid sequence one U+FFFD, `C0 80` a U+0000.
pub fn lossy(b: &[u8]) -> String {
    let b = b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n]);
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let (cp, n) = decode(&b[i..]);
        out.push(cp.and_then(char::from_u32).unwrap_or('\u{FFFD}'));
        i += n;
    }
    out
}

/// The modified UTF-8 bytes of a string (U+0000 as `C0 80`), as QEMU stores it.
pub fn modified_bytes(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes()
        .flat_map(|c| match c {
            0 => [Some(0xC0), Some(0x80)],
            c => [Some(c), None],
        })
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each input as QEMU 7.2's writer printed it inside a "stray" error (`\uFFFD` counts).
    #[test]
    fn invalid_sequences_are_replaced_as_qemu_does() {
        let cases: [(&[u8], &str); 14] = [
            (b"\xc3\x28", "\u{FFFD}("),
            (b"\xe2\x82\xff", "\u{FFFD}\u{FFFD}"),
            (b"\xe2\x82(", "\u{FFFD}("),
            (b"\xf0\x9f\x98\xff", "\u{FFFD}\u{FFFD}"),
            (b"\xf8\x88\x80\x80\x80\xff", "\u{FFFD}\u{FFFD}"),
            (b"\xfc\x84\x80\x80\x80\x80\xff", "\u{FFFD}\u{FFFD}"),
            (b"\xc0\x80\xff", "\u{0}\u{FFFD}"),
            (b"\xc1\xbf", "\u{FFFD}"),
            (b"\xe0\x80\x80", "\u{FFFD}"),
            (b"\xed\xa0\x80", "\u{FFFD}"),
            (b"\xef\xbf\xbf", "\u{FFFD}"),
            (b"\xf4\x90\x80\x80", "\u{FFFD}"),
            (b"\x80\x80", "\u{FFFD}\u{FFFD}"),
            (b"a\x00b", "a"),
        ];
        for (bytes, want) in cases {
            assert_eq!(lossy(bytes), want, "{bytes:x?}");
        }
    }

    #[test]
    fn noncharacters_and_surrogates_are_invalid() {
        for cp in [
            0xFFFF, 0xFFFE, 0xFDD0, 0xFDEF, 0x1FFFF, 0x10FFFF, 0xD800, 0xDFFF,
        ] {
            assert!(!is_valid(cp), "{cp:x}");
        }
        for cp in [0, 0xFDCF, 0xFDF0, 0xFFFD, 0x10FFFD, 0x1F600] {
            assert!(is_valid(cp), "{cp:x}");
        }
        assert_eq!(decode(b"\xf4\x8f\xbf\xbd"), (Some(0x10FFFD), 4));
        assert_eq!(decode(b"\xef\xb7\x90"), (None, 3));
    }

    #[test]
    fn nul_is_two_bytes() {
        assert_eq!(modified_bytes("a\0b").collect::<Vec<_>>(), b"a\xc0\x80b");
    }
}
