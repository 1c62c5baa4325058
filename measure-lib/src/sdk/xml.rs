//! `Enclave.config.xml` read the way `sgx_sign` reads it: with tinyxml2 7.0 (the copy in
//! linux-sgx `external/tinyxml2`, default settings: entities processed, whitespace preserved),
//! then the children of the first `<EnclaveConfiguration>` element taken as parameters.
//!
//! The parser reproduces what tinyxml2 accepts and refuses rather than what the XML
//! specification says, because that is what decides whether `sgx_sign` signs:
//! * the document ends at its first NUL byte; a UTF-8 byte order mark is skipped;
//! * `<?...?>` declarations only before anything else at the top level; `<!--...-->`
//!   comments; `<![CDATA[...]]>` text; any other `<!...>` is skipped up to the first `>`;
//! * names start with an ASCII letter, `_`, `:` or a byte >= 0x80 and go on with those, digits,
//!   `.` and `-`; `< Name>` is allowed, `</ Name>` is not; end tags may carry attributes;
//! * text that is only whitespace is dropped, other text is kept whole (leading and trailing
//!   whitespace included) with `&quot; &amp; &apos; &lt; &gt;`, `&#NNN;` and `&#xHHH;`
//!   replaced (an unknown or unterminated reference stays as it is) and line ends normalised;
//! * more than one top-level element, and text before the first one, are accepted;
//! * elements nest at most 99 deep.
//!
//! `sgx_sign` then refuses the configuration if the root has text as its first child, or a
//! parameter element has an attribute; a parameter's value is the text of its first child (no
//! value if that is not text).

use std::fmt;

/// Why tinyxml2 (or `sgx_sign` after it) refuses the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XmlError {
    /// Nothing but whitespace.
    EmptyDocument,
    /// A syntax error tinyxml2 reports (`what`) at `line`.
    Syntax {
        /// Line number (from 1).
        line: usize,
        /// What could not be parsed.
        what: &'static str,
    },
    /// No `<EnclaveConfiguration>` element at the top level.
    NoEnclaveConfiguration,
    /// `<EnclaveConfiguration>` starts with text.
    RootText,
    /// A parameter element has attributes.
    Attribute {
        /// The element name.
        element: String,
        /// Line number.
        line: usize,
    },
}

impl std::error::Error for XmlError {}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::EmptyDocument => f.write_str("the configuration file is empty"),
            XmlError::Syntax { line, what } => write!(f, "line {line}: {what}"),
            XmlError::NoEnclaveConfiguration => {
                f.write_str("no <EnclaveConfiguration> element at the top level")
            }
            XmlError::RootText => {
                f.write_str("<EnclaveConfiguration> starts with text (it may only hold elements)")
            }
            XmlError::Attribute { element, line } => write!(
                f,
                "line {line}: element <{element}> has an attribute (parameters take none)"
            ),
        }
    }
}

/// One parameter element: its name, the line it starts on, and its value (the first child's
/// text, decoded), if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigElement {
    /// The element name (bytes: names may hold any byte >= 0x80).
    pub name: Vec<u8>,
    /// Line number of the element.
    pub line: usize,
    /// The value, when the first child is text or CDATA.
    pub text: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TagKind {
    Open,
    Closed,
    End,
}

#[derive(Clone, Debug)]
enum Kind {
    Element {
        name: (usize, usize),
        attributes: usize,
    },
    /// Raw text (`cdata`: no entity processing).
    Text {
        raw: (usize, usize),
        cdata: bool,
    },
    Other,
    Declaration,
}

#[derive(Clone, Debug)]
struct Node {
    kind: Kind,
    line: usize,
    children: Vec<usize>,
}

const MAX_DEPTH: usize = 100;

struct Parser<'a> {
    s: &'a [u8],
    nodes: Vec<Node>,
    depth: usize,
    error: Option<XmlError>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_name_start(c: u8) -> bool {
    c >= 0x80 || c.is_ascii_alphabetic() || c == b':' || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == b'.' || c == b'-'
}

impl<'a> Parser<'a> {
    fn at(&self, p: usize) -> u8 {
        self.s.get(p).copied().unwrap_or(0)
    }

    fn line(&self, p: usize) -> usize {
        1 + self
            .s
            .get(..p.min(self.s.len()))
            .unwrap_or(&[])
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    fn fail(&mut self, p: usize, what: &'static str) {
        if self.error.is_none() {
            self.error = Some(XmlError::Syntax {
                line: self.line(p),
                what,
            });
        }
    }

    fn skip_ws(&self, mut p: usize) -> usize {
        while p < self.s.len() && is_space(self.at(p)) {
            p += 1;
        }
        p
    }

    fn starts_with(&self, p: usize, pat: &[u8]) -> bool {
        self.s.get(p..).is_some_and(|r| r.starts_with(pat))
    }

    /// `StrPair::ParseText`: the text up to `end`, and the position after `end`.
    fn parse_text(&self, p: usize, end: &[u8]) -> Option<((usize, usize), usize)> {
        let rest = self.s.get(p..)?;
        let i = rest.windows(end.len()).position(|w| w == end)?;
        Some(((p, p + i), p + i + end.len()))
    }

    fn parse_name(&self, p: usize) -> (usize, usize) {
        if p >= self.s.len() || !is_name_start(self.at(p)) {
            return (p, p);
        }
        let mut q = p + 1;
        while q < self.s.len() && is_name_char(self.at(q)) {
            q += 1;
        }
        (p, q)
    }

    /// `XMLElement::ParseAttributes`: the number of attributes, the closing type, and the
    /// position after the tag.
    fn parse_attributes(&mut self, mut p: usize, closing: &mut TagKind) -> Option<(usize, usize)> {
        let mut names: Vec<(usize, usize)> = Vec::new();
        loop {
            p = self.skip_ws(p);
            if p >= self.s.len() {
                self.fail(p, "unterminated tag");
                return None;
            }
            let c = self.at(p);
            if is_name_start(c) {
                let line_at = p;
                let name = self.parse_name(p);
                let mut q = name.1;
                let ok = (|| {
                    if q >= self.s.len() {
                        return None;
                    }
                    q = self.skip_ws(q);
                    if self.at(q) != b'=' {
                        return None;
                    }
                    q = self.skip_ws(q + 1);
                    let quote = self.at(q);
                    if quote != b'"' && quote != b'\'' {
                        return None;
                    }
                    let (_, after) = self.parse_text(q + 1, &[quote])?;
                    Some(after)
                })();
                let bytes = |r: (usize, usize)| self.s.get(r.0..r.1).unwrap_or(&[]);
                let dup = names.iter().any(|&n| bytes(n) == bytes(name));
                match ok {
                    Some(after) if !dup => {
                        names.push(name);
                        p = after;
                    }
                    _ => {
                        self.fail(line_at, "malformed or repeated attribute");
                        return None;
                    }
                }
            } else if c == b'>' {
                return Some((names.len(), p + 1));
            } else if c == b'/' && self.at(p + 1) == b'>' {
                *closing = TagKind::Closed;
                return Some((names.len(), p + 2));
            } else {
                self.fail(p, "unexpected character in a tag");
                return None;
            }
        }
    }

    /// `XMLElement::ParseDeep`.
    fn parse_element(
        &mut self,
        p: usize,
        id: usize,
        closing: &mut TagKind,
        end_tag: &mut Option<(usize, usize)>,
    ) -> Option<usize> {
        let mut p = self.skip_ws(p);
        if self.at(p) == b'/' && p < self.s.len() {
            *closing = TagKind::End;
            p += 1;
        }
        let name = self.parse_name(p);
        if name.0 == name.1 {
            return None;
        }
        let (attributes, p) = self.parse_attributes(name.1, closing)?;
        if let Some(n) = self.nodes.get_mut(id) {
            n.kind = Kind::Element { name, attributes };
        }
        if p >= self.s.len() || *closing != TagKind::Open {
            return Some(p);
        }
        self.parse_children(p, id, end_tag)
    }

    /// `XMLNode::ParseDeep`: children of `parent` until its end tag (handed back in
    /// `parent_end`). Returns the position after the end tag, or `None` (which is an error
    /// unless it is the document's normal end).
    fn parse_children(
        &mut self,
        mut p: usize,
        parent: usize,
        parent_end: &mut Option<(usize, usize)>,
    ) -> Option<usize> {
        self.depth += 1;
        let r = (|| {
            if self.depth >= MAX_DEPTH {
                self.fail(p, "elements nested too deep");
            }
            if self.error.is_some() {
                return None;
            }
            while p < self.s.len() {
                // `XMLDocument::Identify`.
                let start = p;
                let q = self.skip_ws(p);
                if q >= self.s.len() {
                    break;
                }
                let line = self.line(q);
                let id = self.nodes.len();
                self.nodes.push(Node {
                    kind: Kind::Other,
                    line,
                    children: Vec::new(),
                });
                let mut closing = TagKind::Open;
                let mut end_tag = None;
                let r = if self.starts_with(q, b"<?") {
                    self.nodes[id].kind = Kind::Declaration;
                    let r = self.parse_text(q + 2, b"?>").map(|(_, a)| a);
                    if r.is_none() {
                        self.fail(q, "unterminated <?...?> declaration");
                    }
                    r
                } else if self.starts_with(q, b"<!--") {
                    let r = self.parse_text(q + 4, b"-->").map(|(_, a)| a);
                    if r.is_none() {
                        self.fail(q, "unterminated comment");
                    }
                    r
                } else if self.starts_with(q, b"<![CDATA[") {
                    let r = self.parse_text(q + 9, b"]]>");
                    match r {
                        Some((raw, a)) => {
                            self.nodes[id].kind = Kind::Text { raw, cdata: true };
                            Some(a)
                        }
                        None => {
                            self.fail(q, "unterminated CDATA section");
                            None
                        }
                    }
                } else if self.starts_with(q, b"<!") {
                    let r = self.parse_text(q + 2, b">").map(|(_, a)| a);
                    if r.is_none() {
                        self.fail(q, "unterminated <!...> tag");
                    }
                    r
                } else if self.at(q) == b'<' {
                    self.parse_element(q + 1, id, &mut closing, &mut end_tag)
                } else {
                    // Text: from `start`, leading whitespace included, up to the next '<'.
                    match self.parse_text(start, b"<") {
                        Some((raw, after)) => {
                            self.nodes[id].kind = Kind::Text { raw, cdata: false };
                            if after < self.s.len() {
                                Some(after - 1)
                            } else {
                                None
                            }
                        }
                        None => {
                            self.fail(q, "text without a following tag");
                            None
                        }
                    }
                };
                let Some(next) = r else {
                    self.fail(q, "malformed tag");
                    break;
                };
                if matches!(self.nodes[id].kind, Kind::Declaration) {
                    let siblings = &self.nodes[parent].children;
                    let well_located = parent == 0
                        && siblings
                            .iter()
                            .all(|&c| matches!(self.nodes[c].kind, Kind::Declaration));
                    if !well_located {
                        self.fail(q, "<?...?> declaration after other content");
                        break;
                    }
                }
                if let Kind::Element { name, .. } = self.nodes[id].kind {
                    if closing == TagKind::End {
                        *parent_end = Some(name);
                        return Some(next);
                    }
                    let mismatch = match end_tag {
                        None => closing == TagKind::Open,
                        Some(tag) => {
                            closing != TagKind::Open
                                || self.s.get(tag.0..tag.1) != self.s.get(name.0..name.1)
                        }
                    };
                    if mismatch {
                        self.fail(q, "missing or mismatched end tag");
                        break;
                    }
                }
                self.nodes[parent].children.push(id);
                p = next;
            }
            None
        })();
        self.depth -= 1;
        r
    }

    /// `StrPair::GetStr` for text: line ends normalised, and (not for CDATA) references
    /// replaced.
    fn text_value(&self, raw: (usize, usize), cdata: bool) -> Vec<u8> {
        let t = self.s.get(raw.0..raw.1).unwrap_or(&[]);
        let mut out = Vec::with_capacity(t.len());
        let mut i = 0;
        let at = |k: usize| t.get(k).copied().unwrap_or(0);
        while i < t.len() {
            let c = at(i);
            if c == b'\r' {
                i += if at(i + 1) == b'\n' { 2 } else { 1 };
                out.push(b'\n');
            } else if c == b'\n' {
                i += if at(i + 1) == b'\r' { 2 } else { 1 };
                out.push(b'\n');
            } else if c == b'&' && !cdata {
                if at(i + 1) == b'#' {
                    match char_ref(t, i) {
                        CharRef::NotARef => {
                            out.push(b'&');
                            i += 1;
                        }
                        CharRef::Replace { next, bytes, len } => {
                            out.extend_from_slice(&bytes[..len]);
                            i = next;
                        }
                    }
                } else {
                    let named: [(&[u8], u8); 5] = [
                        (b"quot", b'"'),
                        (b"amp", b'&'),
                        (b"apos", b'\''),
                        (b"lt", b'<'),
                        (b"gt", b'>'),
                    ];
                    let rest = t.get(i + 1..).unwrap_or(&[]);
                    match named
                        .iter()
                        .find(|(n, _)| rest.starts_with(n) && rest.get(n.len()) == Some(&b';'))
                    {
                        Some((n, v)) => {
                            out.push(*v);
                            i += n.len() + 2;
                        }
                        None => {
                            out.push(b'&');
                            i += 1;
                        }
                    }
                }
            } else {
                out.push(c);
                i += 1;
            }
        }
        out
    }
}

enum CharRef {
    NotARef,
    Replace {
        next: usize,
        bytes: [u8; 4],
        len: usize,
    },
}

/// `XMLUtil::GetCharacterRef` at `t[i] == '&'`, `t[i + 1] == '#'`: `&#x` is hexadecimal
/// (lower-case `x` only), anything else decimal; digits are read back from the `;` with 32-bit
/// wrapping multipliers; code points from 0x200000 produce nothing; `&#` at the end of the text
/// drops the `&`.
fn char_ref(t: &[u8], i: usize) -> CharRef {
    let at = |k: usize| t.get(k).copied().unwrap_or(0);
    if i + 2 >= t.len() {
        return CharRef::Replace {
            next: i + 1,
            bytes: [0; 4],
            len: 0,
        };
    }
    let hex = at(i + 2) == b'x';
    let (digits_start, stop) = if hex { (i + 3, b'x') } else { (i + 2, b'#') };
    if digits_start >= t.len() {
        return CharRef::NotARef;
    }
    let Some(semi) = t
        .get(digits_start..)
        .and_then(|r| r.iter().position(|&b| b == b';'))
        .map(|k| digits_start + k)
    else {
        return CharRef::NotARef;
    };
    // Digits are read backwards from the ';' up to the nearest 'x' (or '#').
    let (base, mut mult, mut ucs) = (if hex { 16u32 } else { 10 }, 1u32, 0u64);
    let mut k = semi;
    while k > 0 {
        k -= 1;
        let c = at(k);
        if c == stop {
            break;
        }
        let Some(d) = (c as char).to_digit(base) else {
            return CharRef::NotARef;
        };
        ucs += u64::from(mult.wrapping_mul(d));
        mult = mult.wrapping_mul(base);
    }
    let mut bytes = [0u8; 4];
    let v = ucs as u32;
    let len = if ucs >= 0x20_0000 {
        0
    } else if let Some(c) = char::from_u32(v) {
        c.encode_utf8(&mut bytes).len()
    } else {
        // Surrogates and code points above U+10FFFF: tinyxml2 encodes them like any other.
        let n = if v < 0x800 {
            2
        } else if v < 0x10000 {
            3
        } else {
            4
        };
        let lead: u32 = match n {
            2 => 0xC0,
            3 => 0xE0,
            _ => 0xF0,
        };
        let mut x = v;
        for j in (1..n).rev() {
            if let Some(b) = bytes.get_mut(j) {
                *b = ((x | 0x80) & 0xBF) as u8;
            }
            x >>= 6;
        }
        bytes[0] = (x | lead) as u8;
        n
    };
    CharRef::Replace {
        next: semi + 1,
        bytes,
        len,
    }
}

/// Parses `xml` as tinyxml2 does and returns the parameter elements of its first top-level
/// `<EnclaveConfiguration>`, in order, with `sgx_sign`'s structural checks.
pub fn config_elements(xml: &[u8]) -> Result<Vec<ConfigElement>, XmlError> {
    // A C string: the document ends at the first NUL.
    let s = match xml.iter().position(|&b| b == 0) {
        Some(n) => &xml[..n],
        None => xml,
    };
    let mut p = Parser {
        s,
        nodes: vec![Node {
            kind: Kind::Other,
            line: 1,
            children: Vec::new(),
        }],
        depth: 0,
        error: None,
    };
    let mut start = p.skip_ws(0);
    if p.starts_with(start, b"\xEF\xBB\xBF") {
        start += 3;
    }
    if start >= s.len() {
        return Err(XmlError::EmptyDocument);
    }
    let mut none = None;
    p.parse_children(start, 0, &mut none);
    if let Some(e) = p.error {
        return Err(e);
    }
    let name_of = |id: usize| match p.nodes[id].kind {
        Kind::Element { name, .. } => s.get(name.0..name.1),
        _ => None,
    };
    let root = p.nodes[0]
        .children
        .iter()
        .copied()
        .find(|&c| name_of(c) == Some(b"EnclaveConfiguration".as_slice()))
        .ok_or(XmlError::NoEnclaveConfiguration)?;
    let first_text = |id: usize| {
        p.nodes[id]
            .children
            .first()
            .and_then(|&c| match p.nodes[c].kind {
                Kind::Text { raw, cdata } => Some(p.text_value(raw, cdata)),
                _ => None,
            })
    };
    if first_text(root).is_some() {
        return Err(XmlError::RootText);
    }
    let mut out = Vec::new();
    for &c in &p.nodes[root].children {
        let Kind::Element { name, attributes } = p.nodes[c].kind else {
            continue;
        };
        let name = s.get(name.0..name.1).unwrap_or(&[]).to_vec();
        if attributes > 0 {
            return Err(XmlError::Attribute {
                element: String::from_utf8_lossy(&name).into_owned(),
                line: p.nodes[c].line,
            });
        }
        out.push(ConfigElement {
            name,
            line: p.nodes[c].line,
            text: first_text(c),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(xml: &str) -> Result<Vec<(String, Option<String>)>, XmlError> {
        config_elements(xml.as_bytes()).map(|v| {
            v.into_iter()
                .map(|e| {
                    (
                        String::from_utf8(e.name).unwrap(),
                        e.text.map(|t| String::from_utf8_lossy(&t).into_owned()),
                    )
                })
                .collect()
        })
    }

    #[test]
    fn accepted_shapes() {
        let v = values("<?xml version=\"1.0\"?><!-- c --><EnclaveConfiguration>\n <A>1</A>\n <B><![CDATA[0x10]]></B>\n <C>&#x31;&#50;&amp;</C><D/><E><!--x-->5</E><F>7<G/></F></EnclaveConfiguration>").unwrap();
        assert_eq!(
            v,
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("0x10".into())),
                ("C".into(), Some("12&".into())),
                ("D".into(), None),
                ("E".into(), None),
                ("F".into(), Some("7".into())),
            ]
        );
        // Text before the root, a second root, spaces in tags, end tags with attributes.
        let v = values(
            "junk<EnclaveConfiguration>< A >\r\n 1\r</A x='y' ></EnclaveConfiguration><Other/>",
        )
        .unwrap();
        assert_eq!(v, vec![("A".into(), Some("\n 1\n".into()))]);
        // Unknown references stay; &#X is not hexadecimal.
        let v =
            values("<EnclaveConfiguration><A>&foo;&#X31;&#x;</A></EnclaveConfiguration>").unwrap();
        assert_eq!(v, vec![("A".into(), Some("&foo;&#X31;\0".into()))]);
    }

    #[test]
    fn refused_shapes() {
        for bad in [
            "",
            "  \n",
            "<EnclaveConfiguration>",
            "<EnclaveConfiguration></Enclaveconfiguration>",
            "<EnclaveConfiguration><A>1</A>",
            "<EnclaveConfiguration><A>1</B></EnclaveConfiguration>",
            "<EnclaveConfiguration></EnclaveConfiguration>trailing",
            "<EnclaveConfiguration><?xml x?></EnclaveConfiguration>",
            "<a/><?xml x?><EnclaveConfiguration/>",
            "<EnclaveConfiguration><A x=1>1</A></EnclaveConfiguration>",
            "<EnclaveConfiguration><A x='1' x='2'>1</A></EnclaveConfiguration>",
            "<EnclaveConfiguration></ EnclaveConfiguration>",
            "<EnclaveConfiguration><!-- </EnclaveConfiguration>",
            "<Config/>",
            "<EnclaveConfiguration>text<A>1</A></EnclaveConfiguration>",
            "<EnclaveConfiguration><![CDATA[]]><A>1</A></EnclaveConfiguration>",
            "<EnclaveConfiguration><A b='1'>1</A></EnclaveConfiguration>",
        ] {
            assert!(values(bad).is_err(), "{bad:?} accepted");
        }
        let deep = "<a>".repeat(98) + &"</a>".repeat(98);
        assert!(values(&(deep.clone() + "<EnclaveConfiguration/>")).is_ok());
        let deeper = "<a>".repeat(99) + &"</a>".repeat(99);
        assert!(values(&(deeper + "<EnclaveConfiguration/>")).is_err());
    }
}
