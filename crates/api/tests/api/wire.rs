//! Statements counted at the database's door: a TCP proxy in front of
//! PostgreSQL that reads the frontend protocol and counts every statement a
//! client sends (a simple `Query`, or an `Execute` of the extended protocol),
//! whichever task, connection or layer sent it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// SSLRequest and GSSENCRequest: untyped messages after which the client
/// sends its startup message again.
const ENCRYPTION_REQUESTS: [u32; 2] = [80_877_103, 80_877_104];

/// Where a client's byte stream stands between messages.
enum Scan {
    /// Reading the 8 bytes (length, code) of an untyped startup message.
    Startup(Vec<u8>),
    /// Reading the 5 bytes (type, length) of a typed message.
    Header(Vec<u8>),
    /// Skipping the rest of a message, then reading `typed` headers or not.
    Body { left: usize, typed: bool },
}

/// Follows one client's stream and counts its statements.
struct Scanner {
    scan: Scan,
    statements: Arc<AtomicUsize>,
}

impl Scanner {
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let typed = matches!(self.scan, Scan::Header(_));
            match &mut self.scan {
                Scan::Body { left, typed } => {
                    let n = (*left).min(bytes.len());
                    *left -= n;
                    bytes = &bytes[n..];
                    if *left == 0 {
                        self.scan = Scan::next(*typed);
                    }
                }
                Scan::Startup(head) | Scan::Header(head) => {
                    let need = if typed { 5 } else { 8 };
                    let n = (need - head.len()).min(bytes.len());
                    head.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    if head.len() < need {
                        continue;
                    }
                    let head = std::mem::take(head);
                    let (left, next_typed) = if typed {
                        if matches!(head[0], b'Q' | b'E') {
                            self.statements.fetch_add(1, Ordering::SeqCst);
                        }
                        ((u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize).saturating_sub(4), true)
                    } else {
                        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                        let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
                        (len.saturating_sub(8), !ENCRYPTION_REQUESTS.contains(&code))
                    };
                    self.scan = if left == 0 { Scan::next(next_typed) } else { Scan::Body { left, typed: next_typed } };
                }
            }
        }
    }
}

impl Scan {
    /// Ready for the next message's header.
    fn next(typed: bool) -> Scan {
        if typed { Scan::Header(Vec::new()) } else { Scan::Startup(Vec::new()) }
    }
}

/// A proxy to the server `upstream` (`host:port`); every statement sent
/// through it adds one to [`CountingProxy::statements`].
pub struct CountingProxy {
    pub addr: std::net::SocketAddr,
    pub statements: Arc<AtomicUsize>,
}

impl CountingProxy {
    pub async fn start(upstream: String) -> CountingProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("address");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else { continue };
                let counter = counter.clone();
                tokio::spawn(async move {
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upstream = async move {
                        let mut scanner = Scanner { scan: Scan::Startup(Vec::new()), statements: counter };
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match client_read.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            scanner.feed(&buf[..n]);
                            if server_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = server_write.shutdown().await;
                    };
                    let downstream = async move {
                        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                        let _ = client_write.shutdown().await;
                    };
                    tokio::join!(upstream, downstream);
                });
            }
        });
        CountingProxy { addr, statements }
    }
}

#[cfg(test)]
mod scanner {
    use super::*;

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind];
        m.extend_from_slice(&(u32::try_from(body.len() + 4).unwrap()).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn counts_queries_and_executes_across_any_split() {
        let mut stream = Vec::new();
        // SSLRequest, then the startup message.
        stream.extend_from_slice(&8u32.to_be_bytes());
        stream.extend_from_slice(&80_877_103u32.to_be_bytes());
        let startup = b"\0\x03\0\0user\0postgres\0\0";
        stream.extend_from_slice(&(u32::try_from(startup.len() + 4).unwrap()).to_be_bytes());
        stream.extend_from_slice(startup);
        stream.extend(message(b'p', b"password\0"));
        stream.extend(message(b'Q', b"BEGIN\0"));
        // An Execute inside Parse/Bind/Describe/Sync; a body holding 'Q' and 'E' bytes.
        stream.extend(message(b'P', b"\0SELECT 'QE'\0\0\0"));
        stream.extend(message(b'B', b"\0\0\0\0\0\0\0\0"));
        stream.extend(message(b'E', b"\0\0\0\0\0"));
        stream.extend(message(b'S', b""));
        stream.extend(message(b'Q', b"COMMIT\0"));
        for chunk in [1, 2, 3, 7, stream.len()] {
            let statements = Arc::new(AtomicUsize::new(0));
            let mut scanner = Scanner { scan: Scan::Startup(Vec::new()), statements: statements.clone() };
            for part in stream.chunks(chunk) {
                scanner.feed(part);
            }
            assert_eq!(statements.load(Ordering::SeqCst), 3, "chunks of {chunk}");
        }
    }
}
