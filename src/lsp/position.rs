//! Byte offsets to protocol positions and back.
//!
//! floe's spans are byte offsets; the protocol counts a position's `character` in
//! UTF-16 code units. A line index turns one into the other: `é` is two bytes and one
//! unit, `𝄞` four bytes and two units. Positions past the end of a line or of the
//! text are clamped to it, as the protocol asks; offsets inside a character are
//! moved back to its start.

use lsp_types::{Position, Range};

/// Where each line of a text starts.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        LineIndex { starts }
    }

    /// The position of a byte offset.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_boundary(text, offset.min(text.len()));
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let units = text
            .get(start..offset)
            .map_or(0, |s| s.encode_utf16().count());
        Position::new(to_u32(line), to_u32(units))
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// The byte offset of a position, clamped to its line and to the text.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let line = text.get(start..).unwrap_or("");
        let line = line.split_inclusive('\n').next().unwrap_or("");
        let content = line.trim_end_matches('\n').trim_end_matches('\r');
        let mut units = 0;
        for (i, c) in content.char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + content.len()
    }
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "ab\né𝄞x\r\nlast";

    #[test]
    fn offsets_become_utf16_positions() {
        let index = LineIndex::new(TEXT);
        assert_eq!(index.position(TEXT, 0), Position::new(0, 0));
        assert_eq!(index.position(TEXT, 3), Position::new(1, 0));
        // `é` is two bytes, one unit; `𝄞` four bytes, two units.
        assert_eq!(index.position(TEXT, 5), Position::new(1, 1));
        assert_eq!(index.position(TEXT, 9), Position::new(1, 3));
        assert_eq!(index.position(TEXT, 10), Position::new(1, 4));
        // Inside a character: its start.
        assert_eq!(index.position(TEXT, 6), Position::new(1, 1));
        // Past the end: the end.
        assert_eq!(index.position(TEXT, 999), Position::new(2, 4));
    }

    #[test]
    fn positions_become_byte_offsets() {
        let index = LineIndex::new(TEXT);
        assert_eq!(index.offset(TEXT, Position::new(1, 1)), 5);
        assert_eq!(index.offset(TEXT, Position::new(1, 3)), 9);
        // The middle of a surrogate pair rounds up to the next character.
        assert_eq!(index.offset(TEXT, Position::new(1, 2)), 9);
        // Past the end of a line: before its line break (and `\r`).
        assert_eq!(index.offset(TEXT, Position::new(1, 50)), 10);
        assert_eq!(index.offset(TEXT, Position::new(7, 0)), TEXT.len());
        assert_eq!(index.offset(TEXT, Position::new(2, 4)), TEXT.len());
    }

    #[test]
    fn round_trips_on_every_boundary() {
        let index = LineIndex::new(TEXT);
        for (offset, _) in TEXT.char_indices() {
            let p = index.position(TEXT, offset);
            if TEXT.as_bytes().get(offset) != Some(&b'\n')
                && TEXT.get(offset..offset + 1) != Some("\r")
            {
                assert_eq!(index.offset(TEXT, p), offset, "at {offset}");
            }
        }
    }
}
