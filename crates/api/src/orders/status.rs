//! An order's status machine: `processing → approved → ordered → shipped →
//! delivered`, and `cancelled` from `processing` or `approved`, each step
//! taken by whom [`domain::order`] says. A cancellation gives the order's
//! allowance back with a ledger entry.

use super::{MODEL, actor, order, order_for_money};
use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, Problem, from_issues};
use crate::params::{FieldsQuery, XFields};
use crate::precondition::IfMatch;
use crate::resource::OrderDoc;
use crate::state::AppState;
use crate::strict::{Inline, Text};
use crate::tags::ApiTags;
use crate::write::{Written, begin, check_version, commit, read_back};
use domain::order::{Status, TransitionError};
use domain::resource::ORDER;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use serde_json::json;
use storage::orders::{Entry, Event};
use storage::write::Lock;

/// The longest note a status change may carry.
const MAX_NOTE: usize = 1000;

/// An order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OrderStatus {
    Processing,
    Approved,
    Ordered,
    Shipped,
    Delivered,
    Cancelled,
}

impl From<OrderStatus> for Status {
    fn from(s: OrderStatus) -> Status {
        match s {
            OrderStatus::Processing => Status::Processing,
            OrderStatus::Approved => Status::Approved,
            OrderStatus::Ordered => Status::Ordered,
            OrderStatus::Shipped => Status::Shipped,
            OrderStatus::Delivered => Status::Delivered,
            OrderStatus::Cancelled => Status::Cancelled,
        }
    }
}

/// A status change.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct Transition {
    /// The status to move to.
    pub to: Inline<OrderStatus>,
    /// Why, for the history (up to 1,000 characters), e.g. `sizes confirmed with the client`.
    pub note: Option<Text>,
}

impl poem_openapi::types::Example for Transition {
    fn example() -> Self {
        Transition { to: Inline(OrderStatus::Approved), note: Some(Text("sizes confirmed with the client".into())) }
    }
}

/// The answer to a refused transition: 409 naming the statuses the caller
/// may move the order to, or 403 when the step is someone else's.
fn refused(e: &TransitionError) -> ApiError {
    match e {
        TransitionError::NotAllowed { allowed, .. } => {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            ApiError::Conflict(Json(
                Problem::new(409, e.to_string())
                    .with_errors(vec![FieldError::new("to", "transition_not_allowed", e.to_string())])
                    .with_amounts(json!({ "allowed": names })),
            ))
        }
        TransitionError::NotYours { .. } => ApiError::forbidden(e.to_string()),
    }
}

#[derive(Default)]
pub struct StatusApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl StatusApi {
    /// Change an order's status
    ///
    /// `processing → approved → ordered → shipped → delivered`; `cancelled`
    /// from `processing` or `approved`. Staff of the order's distributor take
    /// every step; the campaign's admin buyer approves and cancels; the
    /// shopper cancels their own order while it is `processing`. A step the
    /// machine does not have is a 409 naming the statuses you may move the
    /// order to (in `amounts.allowed`); a step that is someone else's is a
    /// 403. Cancelling gives the order's allowance back (a `cancellation`
    /// ledger entry) and frees its units and money under the campaign's
    /// limits. Every change is an event of the order's history, with the
    /// note. Honours `If-Match` (the order's ETag). Returns the order.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/orders/:id/transitions", method = "post", operation_id = "transition_order")]
    async fn transition_order(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The order's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<Transition>,
    ) -> ApiResult<Written<OrderDoc>> {
        let who = auth.principal();
        let id = id.0;
        let selection = crate::params::selection(&x_fields, &fields, &ORDER, who.role)?;
        let expected = if_match.expected(MODEL, id)?;
        let to = Status::from(body.0.to.0);
        let note = body.0.note.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
            return Err(from_issues(vec![validators::FieldIssue::new("note", "too_long", "at most 1,000 characters")]));
        }
        let mut tx = begin(&state).await?;
        let o = if to == Status::Cancelled {
            order_for_money(&mut tx, who, id).await?
        } else {
            order(&mut tx, who, id, Lock::Update).await?
        };
        // A step that is not the caller's is 403 whatever the ETag; then a
        // stale ETag is 412 before the machine's own refusal (409).
        let verdict = domain::order::transition(o.status, to, actor(who));
        if let Err(e @ TransitionError::NotYours { .. }) = &verdict {
            return Err(refused(e));
        }
        let expected = check_version(&expected, o.version)?;
        verdict.map_err(|e| refused(&e))?;
        storage::orders::set_status(&mut *tx, id, expected, to).await?;
        let mut data = json!({ "from": o.status.as_str(), "to": to.as_str(), "note": note });
        if to == Status::Cancelled {
            // The order's ledger entries add up to what it took of the
            // allowance; one entry gives all of it back.
            let rules = storage::orders::rules(&mut *tx, o.campaign_id).await?;
            let used = storage::shopping::history(&mut *tx, o.account_id, o.campaign_id).await?.allowance_used;
            let amount = -o.allowance_applied;
            let balance = domain::order::balance(rules.allowance, used + amount);
            storage::orders::ledger(&mut *tx, &o, Entry { kind: "cancellation", amount, balance }).await?;
            data["allowance_returned"] = json!(domain::money::to_wire(o.allowance_applied));
        }
        let message = match &note {
            Some(n) => format!("{} → {to}: {n}", o.status),
            None => format!("{} → {to}", o.status),
        };
        let event = Event {
            order_id: id,
            distributor_id: o.distributor_id,
            kind: "status_changed",
            message: &message,
            actor_id: Some(who.account_id),
            data: &data,
        };
        storage::orders::record(&mut *tx, &event).await?;
        if to == Status::Shipped {
            // In this transaction: the mail is queued exactly when the
            // status change commits.
            storage::jobs::enqueue_order_mail(&mut *tx, id, domain::job::Job::OrderShipped).await?;
        }
        commit(tx).await?;
        tracing::info!(order.id = id, from = %o.status, to = %to, "order status changed");
        let (body, tag) = read_back::<OrderDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }
}
