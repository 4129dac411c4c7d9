//! Paging (`page_size` with `page_number` or `cursor`) and `count`.
//!
//! A keyset cursor is opaque to the client and signed by storage; here it is
//! only checked for shape, so garbage is refused before any work is done.

use super::error::{QueryError, param};
use domain::query::limits::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use domain::query::{Page, PageMode};

/// The longest cursor accepted, in bytes.
pub const MAX_CURSOR_BYTES: usize = 1024;

/// The page asked for. Without `page_number` or `cursor` it is the first
/// keyset page.
pub fn parse_page(
    page_size: Option<i64>,
    page_number: Option<i64>,
    cursor: Option<String>,
) -> Result<Page, QueryError> {
    let size = page_size_of(page_size)?;
    let mode = match (page_number, cursor) {
        (Some(_), Some(_)) => {
            return Err(QueryError::bad_request(
                param::CURSOR,
                "page_number and cursor cannot be used together; use page_number for numbered pages \
                 or cursor for the next page of a keyset list",
            ));
        }
        (Some(number), None) => PageMode::Offset { number: page_number_of(number)? },
        (None, Some(cursor)) => PageMode::Keyset { cursor: Some(check_cursor(cursor)?) },
        (None, None) => PageMode::Keyset { cursor: None },
    };
    Ok(Page { size, mode })
}

/// `count=exact` asks for `X-Total-Count`; nothing else is accepted, so a
/// typo is not silently a cheaper request.
pub fn parse_count(text: Option<&str>) -> Result<bool, QueryError> {
    match text {
        None => Ok(false),
        Some("exact") => Ok(true),
        Some(_) => Err(QueryError::bad_request(param::COUNT, "count accepts only `exact`")),
    }
}

fn page_size_of(page_size: Option<i64>) -> Result<u32, QueryError> {
    let Some(size) = page_size else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    match u32::try_from(size) {
        Ok(size) if (1..=MAX_PAGE_SIZE).contains(&size) => Ok(size),
        _ => Err(QueryError::bad_request(
            param::PAGE_SIZE,
            format!("page_size must be between 1 and {MAX_PAGE_SIZE}; found {size}"),
        )),
    }
}

fn page_number_of(number: i64) -> Result<u32, QueryError> {
    match u32::try_from(number) {
        Ok(number) if number >= 1 => Ok(number),
        Ok(_) => Err(QueryError::bad_request(param::PAGE_NUMBER, "page_number must be 1 or more; found 0")),
        Err(_) if number < 0 => {
            Err(QueryError::bad_request(param::PAGE_NUMBER, format!("page_number must be 1 or more; found {number}")))
        }
        Err(_) => Err(QueryError::bad_request(
            param::PAGE_NUMBER,
            format!("page_number must be at most {}; found {number}", u32::MAX),
        )),
    }
}

/// Non-empty, at most [`MAX_CURSOR_BYTES`], base64url characters and `.`.
fn check_cursor(cursor: String) -> Result<String, QueryError> {
    let bad = |message: String| Err(QueryError::bad_request(param::CURSOR, message));
    if cursor.is_empty() {
        return bad("cursor is empty; send the cursor of the previous page, or leave the parameter out".to_owned());
    }
    if cursor.len() > MAX_CURSOR_BYTES {
        return bad(format!("cursor is {} bytes; the limit is {MAX_CURSOR_BYTES}", cursor.len()));
    }
    if let Some(position) = cursor.bytes().position(|b| !is_cursor_byte(b)) {
        return bad(format!(
            "cursor has a character at position {position} that no cursor holds; send it back exactly as received"
        ));
    }
    Ok(cursor)
}

fn is_cursor_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn err(size: Option<i64>, number: Option<i64>, cursor: Option<&str>) -> QueryError {
        parse_page(size, number, cursor.map(str::to_owned)).unwrap_err()
    }

    #[test]
    fn defaults_to_the_first_keyset_page() {
        let page = parse_page(None, None, None).unwrap();
        assert_eq!(page, Page { size: DEFAULT_PAGE_SIZE, mode: PageMode::Keyset { cursor: None } });
    }

    #[test]
    fn sizes_are_bounded() {
        assert_eq!(parse_page(Some(1), None, None).unwrap().size, 1);
        assert_eq!(parse_page(Some(500), None, None).unwrap().size, 500);
        for size in [0, -1, 501, i64::MAX, i64::MIN] {
            let e = err(Some(size), None, None);
            assert_eq!(e.param, "page_size");
            assert_eq!(e.message, format!("page_size must be between 1 and 500; found {size}"));
        }
    }

    #[test]
    fn page_numbers_are_offsets_from_one() {
        let page = parse_page(Some(20), Some(3), None).unwrap();
        assert_eq!(page, Page { size: 20, mode: PageMode::Offset { number: 3 } });
        assert_eq!(err(None, Some(0), None).message, "page_number must be 1 or more; found 0");
        assert_eq!(err(None, Some(-5), None).message, "page_number must be 1 or more; found -5");
        assert_eq!(err(None, Some(1 << 33), None).message, "page_number must be at most 4294967295; found 8589934592");
        assert_eq!(err(None, Some(0), None).param, "page_number");
    }

    #[test]
    fn cursors_are_checked_for_shape_only() {
        let cursor = "eyJrIjpbIkFubiIsNDJdfQ.c2lnbmF0dXJl-_";
        let page = parse_page(None, None, Some(cursor.to_owned())).unwrap();
        assert_eq!(page.mode, PageMode::Keyset { cursor: Some(cursor.to_owned()) });
        assert!(err(None, Some(1), Some(cursor)).message.starts_with("page_number and cursor cannot be used together"));
        assert!(err(None, None, Some("")).message.starts_with("cursor is empty"));
        assert_eq!(err(None, None, Some(&"a".repeat(1025))).message, "cursor is 1025 bytes; the limit is 1024");
        assert!(parse_page(None, None, Some("a".repeat(1024))).is_ok());
        for bad in ["abc=", "a b", "a/b", "a+b", "é", "a\0", "'--"] {
            let e = err(None, None, Some(bad));
            assert_eq!(e.param, "cursor");
            assert!(e.message.starts_with("cursor has a character at position"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn count_accepts_only_exact() {
        assert!(!parse_count(None).unwrap());
        assert!(parse_count(Some("exact")).unwrap());
        for bad in ["", "true", "EXACT", "exact "] {
            let e = parse_count(Some(bad)).unwrap_err();
            assert_eq!((e.param, e.message.as_str()), ("count", "count accepts only `exact`"));
        }
    }
}
