//! Sending mail: over SMTP (`SMTP_URL`), or in development into `.eml` files
//! under a directory, so a developer sees every mail without a mail server.
//!
//! [`templates`] holds what the mails say.

pub mod templates;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum Sink {
    /// An SMTP server (`smtp://host:port`, `smtp://…?tls=required`, `smtps://user:pass@host`).
    Smtp { url: String, timeout: Duration },
    /// `.eml` files in this directory (development without `SMTP_URL`).
    Files(PathBuf),
}

/// A transport built from a [`Sink`], with the sender's address.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    /// Where the message ids point (the sender's domain).
    domain: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

/// A mail to send.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub to: &'a [String],
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    /// The message id without angle brackets' domain: the same notification
    /// always gets the same id, so a receiving server can drop a duplicate.
    pub id_local_part: &'a str,
}

impl Mailer {
    /// Builds the transport; `from` is the sender (`Name <address>` or an address).
    pub fn new(sink: &Sink, from: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM `{from}` is not an address: {e}"))?;
        let domain = from.email.domain().to_owned();
        let transport = match sink {
            Sink::Smtp { url, timeout } => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL is not an smtp:// or smtps:// URL: {e}"))?
                    .timeout(Some(*timeout))
                    .build(),
            ),
            Sink::Files(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("cannot create the mail directory {}: {e}", dir.display()))?;
                Transport::Files(AsyncFileTransport::<Tokio1Executor>::new(dir), dir.clone())
            }
        };
        Ok(Mailer { from, transport, domain })
    }

    /// The message id a notification's mail carries (`<local@domain>`).
    pub fn message_id(&self, local_part: &str) -> String {
        format!("<{local_part}@{}>", self.domain)
    }

    /// Sends `mail`; returns where it went (the SMTP server's reply, or the
    /// file written). An error is worth retrying (the server was down, said
    /// 4xx) or not (5xx, a bad address): the queue retries both, up to its
    /// attempts, and staff see the error.
    pub async fn send(&self, mail: &Outgoing<'_>) -> Result<String, String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(mail.subject)
            .message_id(Some(self.message_id(mail.id_local_part)));
        for to in mail.to {
            let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}` is not an address: {e}"))?;
            builder = builder.to(to);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match &self.transport {
            Transport::Smtp(t) => {
                let reply = t.send(message).await.map_err(|e| format!("SMTP: {e}"))?;
                Ok(format!("SMTP {}", reply.code()))
            }
            Transport::Files(t, dir) => {
                let id = t.send(message).await.map_err(|e| format!("mail file: {e}"))?;
                Ok(dir.join(format!("{id}.eml")).display().to_string())
            }
        }
    }
}
