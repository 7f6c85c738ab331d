//! Reading checklist files "as they are".
//!
//! Checkboxes are later rewritten in place, one byte at a time, so decoding keeps what is needed
//! to map an offset in the decoded text back to the exact byte offset in the original file.

use std::sync::OnceLock;

use encoding_rs::{Encoding, MACINTOSH, WINDOWS_1252};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Same heuristic as git and grep: a NUL early on means the file is not text.
const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// How the bytes on disk were encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceEncoding {
    Utf8,
    Windows1252,
}

/// The single-byte codepage that explains a mojibake sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Codepage {
    MacRoman,
    Windows1252,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error("the file contains NUL bytes: it looks like a binary file, not Markdown")]
    Binary,
    #[error(
        "the file is encoded as UTF-16; convert it to UTF-8 first \
         (e.g. `iconv -f UTF-16 -t UTF-8 in.md > out.md`)"
    )]
    Utf16,
}

/// Text decoded from a checklist file, with what is needed to map offsets back to bytes.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The decoded text, without the BOM.
    pub text: String,
    pub encoding: SourceEncoding,
    /// A UTF-8 BOM (EF BB BF) was present.
    pub bom: bool,
    /// The first line ending is `\r\n`.
    pub crlf: bool,
    /// `(text offset, cumulative extra bytes)` for every non-ASCII char of a Windows-1252 file:
    /// how many more bytes the UTF-8 text holds than the file, up to and including that char.
    /// Empty for UTF-8, where text and file bytes coincide.
    extra: Vec<(usize, usize)>,
}

impl Decoded {
    /// Byte offset in the original file of the char starting at `text_offset` in `self.text`.
    pub fn byte_offset(&self, text_offset: usize) -> usize {
        let bom = if self.bom { UTF8_BOM.len() } else { 0 };
        // Only chars starting before `text_offset` lie entirely before it.
        let seen = self
            .extra
            .partition_point(|&(start, _)| start < text_offset);
        let extra = seen.checked_sub(1).map_or(0, |i| self.extra[i].1);
        // Saturating: an offset inside a char has no byte of its own; never panic on it.
        text_offset.saturating_sub(extra) + bom
    }
}

/// Decodes a checklist file. Never fails on text content: valid UTF-8 (with or without BOM) is
/// UTF-8, anything else is read as Windows-1252, where every byte is exactly one char.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    // Checked before NULs: UTF-16 text is full of them but deserves a more helpful message.
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || is_bomless_utf16(bytes) {
        return Err(DecodeError::Utf16);
    }
    if bytes.iter().take(BINARY_SNIFF_LEN).any(|&b| b == 0) {
        return Err(DecodeError::Binary);
    }
    // The BOM is dropped even when the rest is not UTF-8, so headings on line 1 still parse.
    let (body, bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let (text, encoding) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), SourceEncoding::Utf8),
        // WHATWG windows-1252 maps all 256 bytes (0x81, 0x8D, ... to C1 controls), so decoding
        // cannot fail and the one-byte-one-char invariant behind `byte_offset` holds.
        Err(_) => {
            let (text, _) = WINDOWS_1252.decode_without_bom_handling(body);
            (text.into_owned(), SourceEncoding::Windows1252)
        }
    };
    if text.trim().is_empty() {
        return Err(DecodeError::Empty);
    }
    let extra = match encoding {
        SourceEncoding::Utf8 => Vec::new(),
        SourceEncoding::Windows1252 => extra_bytes(&text),
    };
    let crlf = text.find('\n').is_some_and(|i| text[..i].ends_with('\r'));
    Ok(Decoded {
        text,
        encoding,
        bom,
        crlf,
        extra,
    })
}

/// UTF-16 written without a BOM (PowerShell's `Out-File -Encoding Unicode` on some systems,
/// many converters): Markdown is mostly ASCII, which UTF-16 stores as a NUL beside each byte,
/// so NULs fill one of the two alternate byte positions and not the other. A binary file's
/// NULs fall on both.
fn is_bomless_utf16(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(BINARY_SNIFF_LEN) & !1];
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return false;
    }
    let (mut even, mut odd) = (0, 0);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let (many, few) = (even.max(odd), even.min(odd));
    // Mostly ASCII in one position, (almost) never NUL in the other.
    many * 10 >= pairs * 7 && few * 50 <= pairs
}

fn extra_bytes(text: &str) -> Vec<(usize, usize)> {
    let mut total = 0;
    text.char_indices()
        .filter(|(_, c)| !c.is_ascii())
        .map(|(start, c)| {
            total += c.len_utf8() - 1;
            (start, total)
        })
        .collect()
}

/// Repairs UTF-8 text that was mis-decoded as Mac Roman or Windows-1252 and saved again as UTF-8.
///
/// Returns `None` when nothing was repaired; otherwise the repaired string and the codepage that
/// explained the first repaired sequence. Works sequence by sequence, so lines mixing correct
/// accents and mojibake are handled.
pub fn repair_mojibake(s: &str) -> Option<(String, Codepage)> {
    // ASCII never maps to a high byte: nothing to repair, and no copy of the text to make
    // (this runs on every title and detail).
    if s.is_ascii() {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut used = None;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        // ASCII never maps to a high byte, so it can neither start nor join a sequence.
        let repaired = if c.is_ascii() {
            None
        } else {
            [Codepage::MacRoman, Codepage::Windows1252]
                .into_iter()
                .find_map(|cp| repair_at(&chars[i..], cp).map(|(ch, len)| (ch, len, cp)))
        };
        match repaired {
            Some((ch, len, cp)) => {
                out.push(ch);
                i += len;
                used.get_or_insert(cp);
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
    used.map(|cp| (out, cp))
}

/// Reads `chars` back as bytes of `cp` and decodes one UTF-8 char from them, if plausible.
/// Returns the char and how many input chars it consumed.
fn repair_at(chars: &[char], cp: Codepage) -> Option<(char, usize)> {
    let table = reverse_table(cp);
    let lead = high_byte(table, *chars.first()?)?;
    let len = match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut buf = [lead, 0, 0, 0];
    for (slot, &c) in buf[1..len].iter_mut().zip(chars.get(1..len)?) {
        *slot = high_byte(table, c).filter(|b| b & 0xC0 == 0x80)?;
    }
    let ch = std::str::from_utf8(&buf[..len]).ok()?.chars().next()?;
    plausible(ch).then_some((ch, len))
}

/// Whether `c` is something mojibake in a checklist plausibly stood for.
///
/// Without this, ordinary typography decodes to valid but absurd UTF-8: in Mac Roman `l’été`
/// (`’` = D5, `é` = 8E) would become `lՎté` and NBSP + `é` an IPA letter; in Windows-1252
/// `adapté\u{A0}»` (E9 A0 BB) a CJK ideograph. It also lets Windows-1252 `Ã©` win over its
/// Mac Roman reading (CC A9, a combining mark). Genuine mojibake in these files is Latin
/// letters, punctuation/symbols/dingbats, variation selectors and emoji.
fn plausible(c: char) -> bool {
    matches!(u32::from(c), 0xA0..=0x17F | 0x2000..=0x2BFF | 0xFE00..=0xFE0F | 0x1F000..=0x1FAFF)
}

/// `(char, byte)` for the 128 high bytes of `cp`, sorted by char for binary search.
fn reverse_table(cp: Codepage) -> &'static [(char, u8)] {
    static MAC_ROMAN: OnceLock<Vec<(char, u8)>> = OnceLock::new();
    static WINDOWS: OnceLock<Vec<(char, u8)>> = OnceLock::new();
    match cp {
        Codepage::MacRoman => MAC_ROMAN.get_or_init(|| build_reverse(MACINTOSH)),
        Codepage::Windows1252 => WINDOWS.get_or_init(|| build_reverse(WINDOWS_1252)),
    }
}

fn build_reverse(encoding: &'static Encoding) -> Vec<(char, u8)> {
    let mut table: Vec<(char, u8)> = (0x80..=0xFF_u8)
        .filter_map(|b| {
            let byte = [b];
            let (text, _) = encoding.decode_without_bom_handling(&byte);
            let mut chars = text.chars();
            // Bytes without a one-char mapping cannot be part of a reversible sequence.
            match (chars.next(), chars.next()) {
                (Some(c), None) if c != char::REPLACEMENT_CHARACTER => Some((c, b)),
                _ => None,
            }
        })
        .collect();
    table.sort_unstable();
    table
}

fn high_byte(table: &[(char, u8)], c: char) -> Option<u8> {
    let i = table.binary_search_by_key(&c, |&(tc, _)| tc).ok()?;
    Some(table[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_000: &str = include_str!("../../../shared/seeds/000_b062db2577ce1e4e.txt");
    const SEED_001: &str = include_str!("../../../shared/seeds/001_ddc14895825579d9.txt");
    const SEED_002: &str = include_str!("../../../shared/seeds/002_975f64d438d5ad36.txt");
    const SEED_003: &str = include_str!("../../../shared/seeds/003_6acd3569f0f1713f.txt");

    /// Byte offset in the file of the first `c` in the decoded text.
    fn file_offset(d: &Decoded, c: char) -> usize {
        d.byte_offset(d.text.find(c).unwrap_or_else(|| panic!("no {c:?}")))
    }

    fn repaired(s: &str) -> (String, Codepage) {
        repair_mojibake(s).unwrap_or_else(|| panic!("nothing repaired in {s:?}"))
    }

    #[test]
    fn utf8_with_and_without_bom() -> Result<(), DecodeError> {
        let d = decode("# Préparation\n- [ ] ok\n".as_bytes())?;
        assert_eq!(
            (d.encoding, d.bom, d.crlf),
            (SourceEncoding::Utf8, false, false)
        );
        assert_eq!(file_offset(&d, '['), 17);
        let d = decode("\u{FEFF}# Préparation\r\n- [ ] ok\n".as_bytes())?;
        assert_eq!(
            (d.encoding, d.bom, d.crlf),
            (SourceEncoding::Utf8, true, true)
        );
        assert!(d.text.starts_with("# Pr"));
        assert_eq!(file_offset(&d, '['), 21);
        Ok(())
    }

    #[test]
    fn windows_1252_maps_each_char_to_one_byte() -> Result<(), DecodeError> {
        let d = decode(b"Pr\xe9paration [ ]")?;
        assert_eq!(d.encoding, SourceEncoding::Windows1252);
        assert_eq!(
            (d.text.as_str(), file_offset(&d, '[')),
            ("Préparation [ ]", 12)
        );
        // € (0x80) is 3 bytes in UTF-8; the undefined bytes become C1 controls, 2 bytes each.
        let d = decode(b"\x80 \x81\x8d\x8f\x90\x9d \xe9\xe8 [x]\r\n")?;
        assert_eq!(d.text, "€ \u{81}\u{8d}\u{8f}\u{90}\u{9d} éè [x]\r\n");
        assert_eq!(
            (d.byte_offset(0), file_offset(&d, ' '), file_offset(&d, '[')),
            (0, 1, 11)
        );
        assert!(d.crlf);
        let d = decode(b"\xEF\xBB\xBFd\xe9j\xe0 [ ]")?;
        assert_eq!(
            (d.text.as_str(), d.bom, file_offset(&d, '[')),
            ("déjà [ ]", true, 8)
        );
        for b in 1..=255_u8 {
            let byte = [b];
            let (text, errors) = WINDOWS_1252.decode_without_bom_handling(&byte);
            assert_eq!((text.chars().count(), errors), (1, false), "byte {b:#04x}");
        }
        assert_eq!(reverse_table(Codepage::Windows1252).len(), 128);
        assert_eq!(reverse_table(Codepage::MacRoman).len(), 128);
        Ok(())
    }

    #[test]
    fn rejected_files() {
        assert_eq!(decode(b"").err(), Some(DecodeError::Empty));
        assert_eq!(decode(b" \r\n\t\n").err(), Some(DecodeError::Empty));
        assert_eq!(decode(b"\xEF\xBB\xBF\n").err(), Some(DecodeError::Empty));
        assert_eq!(decode(b"# a\0b").err(), Some(DecodeError::Binary));
        assert_eq!(decode(b"\xFF\xFE#\0 \0").err(), Some(DecodeError::Utf16));
        assert_eq!(decode(b"\xFE\xFF\0#\0 ").err(), Some(DecodeError::Utf16));
        let text = "# Launch\n- [ ] Sécurité validée\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&le).err(), Some(DecodeError::Utf16));
        assert_eq!(decode(&be).err(), Some(DecodeError::Utf16));
        // NULs on both positions, or only a few: binary, as before.
        assert_eq!(decode(b"\0\0\0\0ab\0\0").err(), Some(DecodeError::Binary));
        assert_eq!(
            decode(b"# L\n- [ ] a\0b\n").err(),
            Some(DecodeError::Binary)
        );
        assert!(
            DecodeError::Utf16
                .to_string()
                .contains("iconv -f UTF-16 -t UTF-8")
        );
    }

    #[test]
    fn repairs_seed_examples() {
        let seeds = [SEED_001, SEED_002, SEED_003];
        // The emoji lead byte F0 reads as U+F8FF (the Apple logo) in Mac Roman.
        let cases = [
            "# ‚úÖ CHECKLIST D'IMPL√âMENTATION - PRA => # ✅ CHECKLIST D'IMPLÉMENTATION - PRA",
            "## Phase 1: Pr√©paration (Jour 1-2) => ## Phase 1: Préparation (Jour 1-2)",
            "**Status**: \u{F8FF}üü° PRE-PRODUCTION => **Status**: 🟡 PRE-PRODUCTION",
            "## \u{F8FF}üìã Informations G√©n√©rales => ## 📋 Informations Générales",
            "‚öôÔ∏è Proc√©dures Op√©rationnelles => \u{2699}\u{FE0F} Procédures Opérationnelles",
            "5. **Ex√©cution** : Mise en ≈ìuvre => 5. **Exécution** : Mise en œuvre",
            "**All critical items completed** âœ… => **All critical items completed** ✅",
        ];
        for case in cases {
            let (line, want) = case.split_once(" => ").unwrap_or_default();
            let in_seeds = seeds.iter().any(|seed| seed.contains(line));
            assert!(in_seeds, "not in seeds: {line}");
            let win = line.contains("âœ");
            let cp = if win {
                Codepage::Windows1252
            } else {
                Codepage::MacRoman
            };
            assert_eq!(repaired(line), (want.to_owned(), cp));
        }
        assert_eq!(repaired("Ã©tÃ© â€” Â«okÂ»").0, "été — «ok»");
    }

    #[test]
    fn repairs_mixed_lines() {
        assert_eq!(repaired("Sécurité √©t√©").0, "Sécurité été");
        assert_eq!(repaired("✅ déjà ‚úì").0, "✅ déjà ✓");
    }

    #[test]
    fn legitimate_text_is_left_alone() {
        let samples = [
            "Préparation, Sécurité, Exécution, ÀÉÈ Über Straße ñ ç ø å ÿ ß × ÷ ° ± µ ¶ § © ® ™",
            "✅ ⚙️ 📋 🟡 — – … « » «\u{A0}été\u{A0}» œuvre Œuvre",
            "latence ≈ 5 ms, √2, π r², ∂f, Ω, ∆t, ƒ(x), ¬a",
            "l’été, l’équipe, d’Évian, “éviter”, VALIDÉ\u{A0}: adapté\u{A0}» été…»",
        ];
        for line in samples.into_iter().chain(SEED_000.lines()) {
            assert_eq!(repair_mojibake(line), None, "{line}");
        }
    }

    #[test]
    fn every_seed_line_is_repaired() {
        let markers = ["√", "‚Ä", "‚úÖ", "Ã", "â€", "âœ", "üü", "Ô∏", "\u{F8FF}"];
        let lines = [SEED_001, SEED_002, SEED_003]
            .into_iter()
            .flat_map(str::lines);
        for line in lines {
            let fixed = repair_mojibake(line).map_or_else(|| line.to_owned(), |(s, _)| s);
            for m in markers {
                assert!(!fixed.contains(m), "{m:?} left in {fixed:?}");
            }
        }
    }
}
