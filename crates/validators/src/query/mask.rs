//! The X-Fields mask grammar (DESIGN §4) and its canonical printer.
//!
//! ```text
//! mask := '{' list '}' | list        list := item (',' item)*
//! item := '*' | name [ '{' list '}' ] name := [A-Za-z_][A-Za-z0-9_]*
//! ```
//!
//! Blanks (space, tab, newline, carriage return) are ignored between tokens.
//! This module only checks the shape; [`select`](super::select) checks the
//! names against a resource. Nesting is bounded here already (at
//! [`MAX_MASK_DEPTH`] levels of braces, the most a valid mask can need) so a
//! hostile mask of thousands of `{` cannot exhaust the stack.

use super::describe::quoted;
use super::error::{QueryError, param};
use domain::query::limits::{MAX_MASK_BYTES, MAX_MASK_DEPTH, MAX_MASK_ITEMS};
use std::fmt;

/// A parsed mask: the items of one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask(pub Vec<MaskItem>);

/// One item of a mask level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaskItem {
    /// `*`: every default field (and default relation) of the level.
    All,
    /// A field or relation name, with its nested mask when braces follow it.
    Name {
        name: String,
        /// Byte offset of the name in the mask text, for error messages.
        position: usize,
        children: Option<Mask>,
    },
}

impl Mask {
    /// The same mask with every position set to 0: two masks that select the
    /// same thing compare equal whatever their spacing.
    pub fn without_positions(&self) -> Mask {
        Mask(self.0.iter().map(MaskItem::without_positions).collect())
    }
}

impl MaskItem {
    fn without_positions(&self) -> MaskItem {
        match self {
            MaskItem::All => MaskItem::All,
            MaskItem::Name { name, children, .. } => MaskItem::Name {
                name: name.clone(),
                position: 0,
                children: children.as_ref().map(Mask::without_positions),
            },
        }
    }
}

/// The canonical form: no blanks, no outer braces (`id,distributor{id,name}`).
/// Parsing it gives back the same mask, positions aside.
impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

impl fmt::Display for MaskItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaskItem::All => f.write_str("*"),
            MaskItem::Name { name, children: None, .. } => f.write_str(name),
            MaskItem::Name { name, children: Some(c), .. } => write!(f, "{name}{{{c}}}"),
        }
    }
}

/// Parses a mask's text. Errors are 400s about `X-Fields` with the byte
/// position of the fault; an empty or blank text is an error too (an absent
/// header means "no mask", an empty one is a client mistake).
pub fn parse_mask(text: &str) -> Result<Mask, QueryError> {
    if text.len() > MAX_MASK_BYTES {
        return Err(bad(format!("the mask is {} bytes; the limit is {MAX_MASK_BYTES}", text.len())));
    }
    let mut parser = Parser { text, pos: 0, names: 0 };
    parser.skip_blanks();
    if parser.peek().is_none() {
        return Err(bad("the mask is empty; name at least one field or `*`").at(0));
    }
    let mask = parser.top()?;
    parser.end()?;
    Ok(mask)
}

fn bad(message: impl Into<String>) -> QueryError {
    QueryError::bad_request(param::X_FIELDS, message)
}

/// A recursive-descent parser over bytes. Every token is ASCII, so `pos` is
/// always on a character boundary and can be reported as is.
struct Parser<'t> {
    text: &'t str,
    pos: usize,
    /// Names seen so far, against [`MAX_MASK_ITEMS`].
    names: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The whole mask, with or without its optional outer braces.
    fn top(&mut self) -> Result<Mask, QueryError> {
        if self.peek() != Some(b'{') {
            return self.list(0, None);
        }
        let open = self.pos;
        self.pos += 1;
        let mask = self.list(0, Some(open))?;
        self.close(open)?;
        Ok(mask)
    }

    /// `item (',' item)*`; `open` is the position of the enclosing `{`.
    fn list(&mut self, level: usize, open: Option<usize>) -> Result<Mask, QueryError> {
        let mut items = vec![self.item(level, open, true)?];
        loop {
            self.skip_blanks();
            if self.peek() != Some(b',') {
                return Ok(Mask(items));
            }
            self.pos += 1;
            items.push(self.item(level, open, false)?);
        }
    }

    fn item(&mut self, level: usize, open: Option<usize>, first: bool) -> Result<MaskItem, QueryError> {
        self.skip_blanks();
        match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                Ok(MaskItem::All)
            }
            Some(b) if is_name_start(b) => self.name(level),
            Some(b'}') => Err(match open {
                Some(open) if first => empty_braces(open),
                _ => self.unexpected("a field name or `*`"),
            }),
            None => Err(self.ended(open)),
            Some(_) => Err(self.unexpected("a field name or `*`")),
        }
    }

    /// A name and its optional nested list.
    fn name(&mut self, level: usize) -> Result<MaskItem, QueryError> {
        let position = self.pos;
        self.names += 1;
        if self.names > MAX_MASK_ITEMS {
            return Err(bad(format!(
                "the mask names more than {MAX_MASK_ITEMS} fields (the limit) at position {position}"
            ))
            .at(position));
        }
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        let name = self.text[position..self.pos].to_owned();
        self.skip_blanks();
        let children = if self.peek() == Some(b'{') { Some(self.nested(level)?) } else { None };
        Ok(MaskItem::Name { name, position, children })
    }

    /// `'{' list '}'` after a name at `level`.
    fn nested(&mut self, level: usize) -> Result<Mask, QueryError> {
        let open = self.pos;
        if level + 1 > MAX_MASK_DEPTH {
            return Err(bad(format!("the mask nests deeper than {MAX_MASK_DEPTH} levels at position {open}")).at(open));
        }
        self.pos += 1;
        let mask = self.list(level + 1, Some(open))?;
        self.close(open)?;
        Ok(mask)
    }

    /// The `}` that closes the `{` at `open`.
    fn close(&mut self, open: usize) -> Result<(), QueryError> {
        self.skip_blanks();
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                Ok(())
            }
            None => Err(self.ended(Some(open))),
            Some(_) => Err(self.unexpected("`,` or `}`")),
        }
    }

    /// Nothing may follow the mask but blanks.
    fn end(&mut self) -> Result<(), QueryError> {
        self.skip_blanks();
        match self.peek() {
            None => Ok(()),
            Some(b'}') => {
                Err(bad(format!("unexpected `}}` at position {} of the mask; no `{{` is open", self.pos)).at(self.pos))
            }
            Some(_) => Err(self.unexpected("`,` or the end of the mask")),
        }
    }

    fn unexpected(&self, expected: &str) -> QueryError {
        let found = self.text[self.pos..].chars().next().map_or(String::new(), |c| quoted(&c.to_string()));
        bad(format!("unexpected character '{found}' at position {} of the mask; expected {expected}", self.pos))
            .at(self.pos)
    }

    /// The text ended where a name or a `}` was still needed.
    fn ended(&self, open: Option<usize>) -> QueryError {
        match open {
            Some(open) => bad(format!("unclosed `{{` at position {open} of the mask")).at(open),
            None => bad(format!("the mask ends at position {} where a field name or `*` was expected", self.pos))
                .at(self.pos),
        }
    }
}

fn empty_braces(open: usize) -> QueryError {
    bad(format!("empty braces at position {open} of the mask; name at least one field or `*` inside them")).at(open)
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn name(name: &str, children: Option<Mask>) -> MaskItem {
        MaskItem::Name { name: name.to_owned(), position: 0, children }
    }

    #[test]
    fn accepts_and_prints_canonically() {
        let table = [
            ("id", "id"),
            ("{id}", "id"),
            (" { id , username } ", "id,username"),
            ("\tid,\n username\r\n", "id,username"),
            ("*", "*"),
            ("{*}", "*"),
            ("*,distributor{*}", "*,distributor{*}"),
            ("_x1,X_2", "_x1,X_2"),
            ("id,id", "id,id"),
            ("a { b , c { d } } , e", "a{b,c{d}},e"),
            ("{a{b{c{d}}}}", "a{b{c{d}}}"),
            (
                "{id,username,email,distributor{id,name,accounts{username}}}",
                "id,username,email,distributor{id,name,accounts{username}}",
            ),
        ];
        for (text, canonical) in table {
            let mask = parse_mask(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(mask.to_string(), canonical, "{text:?}");
            let again = parse_mask(canonical).unwrap();
            assert_eq!(again.without_positions(), mask.without_positions(), "{text:?}");
        }
    }

    #[test]
    fn records_byte_positions_of_names() {
        let mask = parse_mask(" { id ,distributor{ name}}").unwrap();
        let MaskItem::Name { position, .. } = &mask.0[0] else { panic!() };
        assert_eq!(*position, 3);
        let MaskItem::Name { position, children: Some(children), .. } = &mask.0[1] else { panic!() };
        assert_eq!(*position, 7);
        let MaskItem::Name { position, .. } = &children.0[0] else { panic!() };
        assert_eq!(*position, 20);
    }

    #[test]
    fn builds_the_tree() {
        let mask = parse_mask("id,distributor{name,*}").unwrap();
        let expected =
            Mask(vec![name("id", None), name("distributor", Some(Mask(vec![name("name", None), MaskItem::All])))]);
        assert_eq!(mask.without_positions(), expected);
    }

    #[test]
    fn rejects_with_exact_positions() {
        let table: &[(&str, usize, &str)] = &[
            ("", 0, "the mask is empty"),
            ("   ", 0, "the mask is empty"),
            ("{}", 0, "empty braces at position 0 of the mask"),
            ("{ }", 0, "empty braces at position 0"),
            ("a{}", 1, "empty braces at position 1"),
            ("id,{}", 3, "unexpected character '{' at position 3 of the mask; expected a field name or `*`"),
            ("{id", 0, "unclosed `{` at position 0 of the mask"),
            ("a{b", 1, "unclosed `{` at position 1"),
            ("a{b{c}", 1, "unclosed `{` at position 1"),
            ("{a{b}", 0, "unclosed `{` at position 0"),
            ("a{", 1, "unclosed `{` at position 1"),
            ("id,", 3, "the mask ends at position 3 where a field name or `*` was expected"),
            (",id", 0, "unexpected character ',' at position 0"),
            ("id,,x", 3, "unexpected character ',' at position 3"),
            (
                "id username",
                3,
                "unexpected character 'u' at position 3 of the mask; expected `,` or the end of the mask",
            ),
            ("{id}x", 4, "unexpected character 'x' at position 4"),
            ("{id} ,x", 5, "unexpected character ',' at position 5"),
            ("id}", 2, "unexpected `}` at position 2 of the mask; no `{` is open"),
            ("}", 0, "unexpected character '}' at position 0"),
            ("1id", 0, "unexpected character '1' at position 0"),
            ("id-x", 2, "unexpected character '-' at position 2"),
            ("*{id}", 1, "unexpected character '{' at position 1"),
            ("{a,}", 3, "unexpected character '}' at position 3 of the mask; expected a field name or `*`"),
            ("a{b c}", 4, "unexpected character 'c' at position 4 of the mask; expected `,` or `}`"),
            ("é", 0, "unexpected character 'é' at position 0"),
            ("id,\0", 3, "unexpected character '\\0' at position 3"),
            ("a{b{c{d{e}}}}", 7, "the mask nests deeper than 3 levels at position 7"),
            ("{a{b{c{d{e}}}}}", 8, "the mask nests deeper than 3 levels at position 8"),
        ];
        for (text, position, message) in table {
            let err = parse_mask(text).unwrap_err();
            assert_eq!(err.kind, crate::query::QueryErrorKind::BadRequest, "{text:?}");
            assert_eq!(err.param, "X-Fields", "{text:?}");
            assert_eq!(err.position, Some(*position), "{text:?}: {}", err.message);
            assert!(err.message.starts_with(message), "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn bounds_size_and_names() {
        let long = "a".repeat(MAX_MASK_BYTES + 1);
        let err = parse_mask(&long).unwrap_err();
        assert_eq!(err.message, "the mask is 4097 bytes; the limit is 4096");
        assert!(parse_mask(&"a".repeat(MAX_MASK_BYTES)).is_ok());

        let names = |n: usize| vec!["a"; n].join(",");
        assert!(parse_mask(&names(MAX_MASK_ITEMS)).is_ok());
        let err = parse_mask(&names(MAX_MASK_ITEMS + 1)).unwrap_err();
        assert_eq!(err.position, Some(2 * MAX_MASK_ITEMS));
        assert!(err.message.contains("more than 200"), "{}", err.message);
        // Stars are not names: a mask of stars is bounded by its size alone.
        assert!(parse_mask(&vec!["*"; 1000].join(",")).is_ok());
    }

    #[test]
    fn deep_brace_bombs_fail_fast() {
        let bomb = format!("{}{}", "a{".repeat(1000), "}".repeat(1000));
        let err = parse_mask(&bomb).unwrap_err();
        assert_eq!(err.position, Some(7));
    }
}
