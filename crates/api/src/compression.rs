//! Response compression: brotli or gzip, as the client's `Accept-Encoding`
//! prefers, for textual bodies (JSON, problem+json, HTML, text, JavaScript)
//! of at least [`MIN_BYTES`]. Already-compressed downloads (images, PDFs,
//! other binary files) and small bodies go out as they are: compressing them
//! costs CPU and saves nothing. A [`Streamed`] body (a report download) is
//! compressed as it goes, at the fastest level, and never read whole first.

use poem::http::{HeaderValue, header};
use poem::web::{Compress, CompressionAlgo, CompressionLevel};
use poem::{Body, IntoResponse, Response};

/// Response data marking a body produced while it is sent (a report): it is
/// never buffered to learn its size, only compressed on the fly.
#[derive(Debug, Clone, Copy)]
pub struct Streamed;

/// Bodies smaller than this are sent uncompressed.
pub const MIN_BYTES: usize = 1024;

/// The coding to use for a request's `Accept-Encoding`: the highest `q`
/// among `br` and `gzip` (brotli on a tie), none when neither is accepted
/// (`q=0` refuses a coding).
pub fn choose(accept_encoding: Option<&str>) -> Option<CompressionAlgo> {
    let mut best: Option<(CompressionAlgo, u16)> = None;
    for part in accept_encoding.unwrap_or_default().split(',') {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or_default().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| p.strip_prefix("q="))
            .map_or(1000, |q| (q.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0) * 1000.0) as u16);
        let algo = match coding.as_str() {
            "br" => CompressionAlgo::BR,
            "gzip" | "x-gzip" => CompressionAlgo::GZIP,
            _ => continue,
        };
        let better = match best {
            None => q > 0,
            Some((held, bq)) => q > bq || (q == bq && algo == CompressionAlgo::BR && held != CompressionAlgo::BR),
        };
        if better {
            best = Some((algo, q));
        }
    }
    best.map(|(algo, _)| algo)
}

/// Whether the client accepts gzip at all (`q` above 0), whatever it
/// prefers: a body stored gzip-compressed is sent as is to such a client.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.unwrap_or_default().split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or_default().to_ascii_lowercase();
        let q = pieces.find_map(|p| p.strip_prefix("q=")).map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
        (coding == "gzip" || coding == "x-gzip" || coding == "*") && q > 0.0
    })
}

/// Whether bodies of `content_type` are worth compressing.
fn compressible(content_type: &str) -> bool {
    let ct = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    ct == "application/json"
        || ct == "application/problem+json"
        || ct == "application/javascript"
        || ct == "image/svg+xml"
        || (ct.starts_with("text/") && ct != "text/event-stream")
}

/// Compresses `resp` with `algo` when its type and size make it worth it;
/// says `Vary: Accept-Encoding` on every response whose type could be.
pub async fn apply(mut resp: Response, algo: Option<CompressionAlgo>) -> Response {
    if !resp.content_type().is_some_and(compressible) || resp.headers().contains_key(header::CONTENT_ENCODING) {
        return resp;
    }
    resp.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(algo) = algo else { return resp };
    if resp.data::<Streamed>().is_some() {
        return Compress::new(resp, algo).with_quality(CompressionLevel::Fastest).into_response();
    }
    let bytes = match resp.take_body().into_bytes().await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "response body could not be read for compression");
            return resp;
        }
    };
    if bytes.len() < MIN_BYTES {
        resp.set_body(Body::from(bytes));
        return resp;
    }
    resp.set_body(Body::from(bytes));
    Compress::new(resp, algo).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_accepted_coding_wins() {
        assert_eq!(choose(Some("gzip, deflate, br")), Some(CompressionAlgo::BR));
        assert_eq!(choose(Some("gzip")), Some(CompressionAlgo::GZIP));
        assert_eq!(choose(Some("br;q=0.5, gzip;q=0.8")), Some(CompressionAlgo::GZIP));
        assert_eq!(choose(Some("br;q=0, gzip;q=0")), None);
        assert_eq!(choose(Some("identity")), None);
        assert_eq!(choose(None), None);
    }

    #[test]
    fn only_text_is_compressed() {
        assert!(compressible("application/json; charset=utf-8"));
        assert!(compressible("application/problem+json"));
        assert!(compressible("text/html"));
        assert!(!compressible("image/png"));
        assert!(!compressible("application/pdf"));
        assert!(!compressible("application/octet-stream"));
    }
}
