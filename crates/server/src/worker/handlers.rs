//! What each job kind does. A new kind is a variant of `domain::job::Job`
//! and an arm in [`run`] (and, if it must react to running out of
//! attempts, in [`dead`]).
//!
//! The order mails are sent at most once per notification key (order,
//! template, order version): the handler claims the key, which locks its
//! row, sends while holding the lock, and marks it sent with an event in the
//! order's history in the same transaction. A second run of the job finds
//! it sent and sends nothing; a failed send rolls back and leaves it for the
//! next attempt. The mail's Message-ID is derived from the key, so even the
//! one window left (the SMTP server accepted, then the commit failed) gives
//! the receiving server a duplicate it can recognise.

use crate::mail::templates::{Template, Templates};
use crate::mail::{Mailer, Outgoing};
use domain::job::{Job, OrderMail};
use serde_json::json;
use std::sync::Arc;
use storage::PgPool;
use storage::jobs::Claimed;
use storage::notifications::{self, Key, Outcome, Standing};
use storage::orders::Event;

/// What the handlers need.
#[derive(Clone)]
pub struct Context {
    pub pool: PgPool,
    /// `None`: notifications are disabled; mail jobs end without sending.
    pub mailer: Option<Mailer>,
    pub templates: Arc<Templates>,
}

/// Runs `job`; an error fails the attempt (it is retried with backoff).
pub async fn run(ctx: &Context, job: &Claimed) -> Result<(), String> {
    match Job::from_parts(&job.kind, job.payload.clone())? {
        Job::OrderConfirmation(m) => notify(ctx, job, Template::OrderConfirmation, m).await,
        Job::NewOrderNotice(m) => notify(ctx, job, Template::NewOrderNotice, m).await,
        Job::OrderShipped(m) => notify(ctx, job, Template::OrderShipped, m).await,
        Job::Noop(_) => Ok(()),
    }
}

/// Called once when `job` has failed its last attempt.
pub async fn dead(ctx: &Context, job: &Claimed, error: &str) {
    let template = match Job::from_parts(&job.kind, job.payload.clone()) {
        Ok(Job::OrderConfirmation(m)) => Some((Template::OrderConfirmation, m)),
        Ok(Job::NewOrderNotice(m)) => Some((Template::NewOrderNotice, m)),
        Ok(Job::OrderShipped(m)) => Some((Template::OrderShipped, m)),
        Ok(Job::Noop(_)) | Err(_) => None,
    };
    if let Some((template, m)) = template
        && let Err(e) = record_failure(ctx, job, template, m, error).await
    {
        tracing::error!(job.id = job.id, error = %e, "could not record the failed notification in the order's history");
    }
}

fn storage_error(e: storage::StorageError) -> String {
    format!("database: {e}")
}

/// Sends the `template` mail about order `m`, at most once for its key.
async fn notify(ctx: &Context, job: &Claimed, template: Template, m: OrderMail) -> Result<(), String> {
    let Some(order) = notifications::order_mail(&ctx.pool, m.order_id).await.map_err(storage_error)? else {
        // Orders are never deleted; a job for one that does not exist has
        // nothing to do, and retrying would not change that.
        tracing::warn!(order.id = m.order_id, "a notification job names an order that does not exist");
        return Ok(());
    };
    let mut tx = ctx.pool.begin().await.map_err(|e| storage_error(e.into()))?;
    let key = Key { order_id: m.order_id, template: template.name(), order_version: m.version };
    let Standing::Pending(id) =
        notifications::claim(&mut tx, order.distributor_id, key, job.id).await.map_err(storage_error)?
    else {
        tracing::info!(order.id = m.order_id, template = template.name(), "already sent: nothing to do");
        return Ok(());
    };
    let recipients = match template {
        Template::OrderConfirmation | Template::OrderShipped if !order.email_shopper => {
            return skip(tx, id, "the campaign does not email its shoppers").await;
        }
        Template::OrderConfirmation | Template::OrderShipped => vec![order.shopper_email.clone()],
        Template::NewOrderNotice => notifications::admin_buyers(&mut *tx, m.order_id)
            .await
            .map_err(storage_error)?
            .into_iter()
            .map(|(_, email)| email)
            .collect(),
    };
    if recipients.iter().all(|r| r.trim().is_empty()) {
        return skip(tx, id, "nobody to send it to").await;
    }
    let Some(mailer) = &ctx.mailer else {
        return skip(tx, id, "notifications are disabled").await;
    };
    let rendered = ctx.templates.render(template, &order).map_err(|e| format!("template {}: {e}", template.name()))?;
    let local = format!("order-{}.{}.v{}", m.order_id, template.name(), m.version);
    let sent = mailer
        .send(&Outgoing {
            to: &recipients,
            subject: &rendered.subject,
            text: rendered.text,
            html: rendered.html,
            id_local_part: &local,
        })
        .await?;
    let message_id = mailer.message_id(&local);
    let outcome = Outcome::Sent { recipients: &recipients, subject: &rendered.subject, message_id: &message_id };
    notifications::settle(&mut *tx, id, &outcome).await.map_err(storage_error)?;
    let message = format!("{} sent to {}", template.title(), recipients.join(", "));
    let data = json!({
        "template": template.name(), "recipients": recipients, "subject": rendered.subject,
        "message_id": message_id, "job_id": job.id,
    });
    let event = Event {
        order_id: m.order_id,
        distributor_id: order.distributor_id,
        kind: "notification_sent",
        message: &message,
        actor_id: None,
        data: &data,
    };
    storage::orders::record(&mut *tx, &event).await.map_err(storage_error)?;
    tx.commit().await.map_err(|e| storage_error(e.into()))?;
    tracing::info!(order.id = m.order_id, template = template.name(), to = %recipients.join(", "), via = %sent, "notification sent");
    Ok(())
}

/// Ends a notification without sending it, for `reason`.
async fn skip(mut tx: storage::Transaction, id: i64, reason: &str) -> Result<(), String> {
    notifications::settle(&mut *tx, id, &Outcome::Skipped { reason }).await.map_err(storage_error)?;
    tx.commit().await.map_err(|e| storage_error(e.into()))?;
    tracing::info!(notification.id = id, reason, "notification not sent");
    Ok(())
}

/// Marks the notification failed and tells the order's history, once.
async fn record_failure(
    ctx: &Context,
    job: &Claimed,
    template: Template,
    m: OrderMail,
    error: &str,
) -> Result<(), String> {
    let Some(order) = notifications::order_mail(&ctx.pool, m.order_id).await.map_err(storage_error)? else {
        return Ok(());
    };
    let mut tx = ctx.pool.begin().await.map_err(|e| storage_error(e.into()))?;
    let key = Key { order_id: m.order_id, template: template.name(), order_version: m.version };
    let Standing::Pending(id) =
        notifications::claim(&mut tx, order.distributor_id, key, job.id).await.map_err(storage_error)?
    else {
        return Ok(());
    };
    notifications::settle(&mut *tx, id, &Outcome::Failed).await.map_err(storage_error)?;
    // The history says that it failed and where to look, not the error
    // itself: shoppers read their orders' history, and an SMTP error names
    // servers. Staff find the error on the job.
    let message = format!("{} could not be sent (job {}: staff can retry it)", template.title(), job.id);
    let data = json!({ "template": template.name(), "job_id": job.id, "attempts": job.attempt });
    let event = Event {
        order_id: m.order_id,
        distributor_id: order.distributor_id,
        kind: "notification_failed",
        message: &message,
        actor_id: None,
        data: &data,
    };
    storage::orders::record(&mut *tx, &event).await.map_err(storage_error)?;
    tx.commit().await.map_err(|e| storage_error(e.into()))?;
    tracing::warn!(order.id = m.order_id, template = template.name(), error, "notification failed for good");
    Ok(())
}
