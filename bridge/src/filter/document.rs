//! The filter's document, built from the Zendesk trigger payload.

use serde_json::{Map, Value, json};
use zendesk_support::webhook::{EventRequester, TicketEvent};

fn requester(requester: Option<&EventRequester>) -> Value {
    let Some(requester) = requester else {
        return Value::Null;
    };
    let mut map = Map::new();
    if let Some(id) = requester.id {
        map.insert("id".into(), id.into());
    }
    if let Some(email) = &requester.email {
        map.insert("email".into(), email.clone().into());
    }
    if let Some(name) = &requester.name {
        map.insert("name".into(), name.clone().into());
    }
    Value::Object(map)
}

/// The document a filter is matched against: `{ticket, current_user, requester}` in the
/// Zendesk API's shapes. The payload was already normalised when parsed (tags split into a
/// list, roles and statuses lowercased, ids as numbers, empty strings absent); absent values
/// are left out, so terms on them are false.
///
/// ```
/// use bridge::filter::document;
/// use zendesk_support::webhook::parse_ticket_event;
///
/// let event = parse_ticket_event(br#"{"ticket":{"id":"4021","status":"Open",
///     "tags":"sunco_send vip","requester":{"id":"35436","email":"jane@example.com"}},
///     "current_user":{"id":"9","role":"End-user"}}"#).unwrap();
/// let doc = document(&event);
/// assert_eq!(doc["ticket"]["tags"][0], "sunco_send");
/// assert_eq!(doc["current_user"]["role"], "end-user");
/// assert_eq!(doc["requester"]["id"], 35436);
/// ```
pub fn document(event: &TicketEvent) -> Value {
    let ticket = &event.ticket;
    let mut ticket_map = Map::new();
    ticket_map.insert("id".into(), ticket.id.into());
    if let Some(status) = &ticket.status {
        ticket_map.insert("status".into(), status.as_str().into());
    }
    ticket_map.insert("tags".into(), ticket.tags.clone().into());
    let requester = requester(event.requester());
    if let Some(id) = requester.get("id") {
        ticket_map.insert("requester_id".into(), id.clone());
    }
    ticket_map.insert("requester".into(), requester.clone());

    let current_user = match &event.current_user {
        None => Value::Null,
        Some(user) => {
            let mut map = Map::new();
            if let Some(id) = user.id {
                map.insert("id".into(), id.into());
            }
            if let Some(role) = &user.role {
                map.insert("role".into(), role.as_str().into());
            }
            if let Some(email) = &user.email {
                map.insert("email".into(), email.clone().into());
            }
            Value::Object(map)
        }
    };
    json!({
        "ticket": Value::Object(ticket_map),
        "current_user": current_user,
        "requester": requester,
    })
}
