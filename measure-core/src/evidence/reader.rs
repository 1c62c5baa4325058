//! A bounds-checked little-endian cursor and writer. Every read returns an [`EvidenceError`]
//! naming the part being read instead of indexing, so no input can make the parsers panic.

use super::{EvidenceError, Part};

/// Reads fixed-size fields and length-prefixed byte strings from a slice, remembering the absolute
/// offset (within the whole evidence) of the next byte, for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, whose first byte is at `offset` in the evidence.
    pub(crate) const fn new(bytes: &'a [u8], offset: usize) -> Self {
        Reader {
            rest: bytes,
            offset,
        }
    }

    /// Absolute offset of the next byte.
    pub(crate) const fn offset(&self) -> usize {
        self.offset
    }

    fn advance(&mut self, rest: &'a [u8], n: usize) {
        self.rest = rest;
        self.offset = self.offset.saturating_add(n);
    }

    /// The next `N` bytes.
    pub(crate) fn array<const N: usize>(
        &mut self,
        part: Part,
    ) -> Result<&'a [u8; N], EvidenceError> {
        match self.rest.split_first_chunk::<N>() {
            Some((head, rest)) => {
                self.advance(rest, N);
                Ok(head)
            }
            None => Err(EvidenceError::Truncated {
                part,
                offset: self.offset,
                needed: N,
                available: self.rest.len(),
            }),
        }
    }

    /// A little-endian `u16`.
    pub(crate) fn u16(&mut self, part: Part) -> Result<u16, EvidenceError> {
        self.array::<2>(part).map(|b| u16::from_le_bytes(*b))
    }

    /// A little-endian `u32`.
    pub(crate) fn u32(&mut self, part: Part) -> Result<u32, EvidenceError> {
        self.array::<4>(part).map(|b| u32::from_le_bytes(*b))
    }

    /// A little-endian `u64`.
    pub(crate) fn u64(&mut self, part: Part) -> Result<u64, EvidenceError> {
        self.array::<8>(part).map(|b| u64::from_le_bytes(*b))
    }

    /// The next `declared` bytes, whose length was read from a length field.
    pub(crate) fn bytes(&mut self, declared: u32, part: Part) -> Result<&'a [u8], EvidenceError> {
        let past_end = EvidenceError::LengthPastEnd {
            part,
            offset: self.offset,
            declared,
            available: self.rest.len(),
        };
        let Ok(n) = usize::try_from(declared) else {
            return Err(past_end);
        };
        match self.rest.split_at_checked(n) {
            Some((head, rest)) => {
                self.advance(rest, n);
                Ok(head)
            }
            None => Err(past_end),
        }
    }

    /// Succeeds if every byte was read; otherwise the bytes left over are trailing bytes at the
    /// end of `part`.
    pub(crate) fn finish(self, part: Part) -> Result<(), EvidenceError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(EvidenceError::TrailingBytes {
                part,
                offset: self.offset,
                extra: self.rest.len(),
            })
        }
    }
}

/// Writes fields one after the other into a fixed-size array (serialization of the fixed-size
/// structures). Writing past the end is impossible for the callers here (their layouts add up to
/// `N`, which the tests pin); should it happen, the bytes are dropped rather than panicking.
pub(crate) struct Writer<'b, const N: usize> {
    buf: &'b mut [u8; N],
    pos: usize,
}

impl<'b, const N: usize> Writer<'b, N> {
    pub(crate) fn new(buf: &'b mut [u8; N]) -> Self {
        Writer { buf, pos: 0 }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> &mut Self {
        let end = self.pos.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
        self
    }
}
