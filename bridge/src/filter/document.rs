//! The filter's document: `{ticket, current_user, requester}`, from the trigger payload alone
//! when it carries every field the query reads, else from the API.

use serde_json::{Map, Value, json};
use zendesk_support::inbound::TicketEvent;

/// The fields the trigger body that `setup` installs
/// ([`TRIGGER_PAYLOAD`](zendesk_support::inbound::TRIGGER_PAYLOAD)) carries, per object.
const PAYLOAD_FIELDS: &[(&str, &[&str])] = &[
    ("ticket", &["id", "status", "tags", "requester_id"]),
    ("requester", &["id", "email", "name"]),
    ("current_user", &["id", "role", "email"]),
];

/// The fields of Meya's document (its payload classes `ZendeskSupportTicketGet` and
/// `ZendeskSupportUserGet`, Meya SDK 2.8): what Meya matched. Anything else it saw missing.
const MEYA_TICKET_FIELDS: &[&str] = &[
    "assignee_id",
    "brand_id",
    "comment_count",
    "created_at",
    "custom_fields",
    "description",
    "external_id",
    "group_id",
    "id",
    "priority",
    "requester_id",
    "status",
    "subject",
    "tags",
    "ticket_form_id",
    "type",
    "updated_at",
];
const MEYA_USER_FIELDS: &[&str] = &[
    "alias",
    "created_at",
    "details",
    "email",
    "external_id",
    "id",
    "name",
    "phone",
    "photo",
    "role",
    "tags",
    "updated_at",
    "user_fields",
    "verified",
];
const MEYA_PHOTO_FIELDS: &[&str] = &["id", "file_name", "content_url", "content_type"];

/// Why Meya's answer for `path` can differ from this bridge's, if it can: a field Meya's
/// document did not hold, which Meya saw as missing.
pub(super) fn unlike_meya(path: &[String]) -> Option<String> {
    let joined = path.join(".");
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    let missing = || {
        Some(format!(
            "`{joined}` is not in Meya's document, which held only some of the API's fields: \
             Meya saw it missing (never matching, so NOT on it always matched); here it is read \
             from the ticket"
        ))
    };
    match keys.as_slice() {
        ["ticket", "custom_fields", _, ..] => Some(format!(
            "`{joined}` reaches a custom field by its id, this bridge's extension: Meya held \
             custom_fields as a list, which no path enters, so it never matched"
        )),
        ["ticket", field, ..] if !MEYA_TICKET_FIELDS.contains(field) => missing(),
        ["requester" | "current_user", "photo", field, ..]
            if !MEYA_PHOTO_FIELDS.contains(field) =>
        {
            missing()
        }
        ["requester" | "current_user", field, ..] if !MEYA_USER_FIELDS.contains(field) => missing(),
        ["ticket" | "requester" | "current_user", ..] => None,
        _ => Some(format!(
            "`{joined}` is outside the document `{{ticket, current_user, requester}}`: it never \
             matches, in Meya or here"
        )),
    }
}

/// Which objects a query reads beyond what the trigger payload carries: each is read from
/// the API (the ticket with its users sideloaded, one call) before matching.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Needs {
    /// A ticket field the payload lacks (`ticket.group_id`, `ticket.priority`, ...).
    pub ticket: bool,
    /// A requester field the payload lacks (`requester.tags`, `requester.user_fields.x`).
    pub requester: bool,
    /// A field of the user who made the update that the payload lacks.
    pub current_user: bool,
}

impl Needs {
    pub(super) fn of<'p>(paths: impl Iterator<Item = &'p [String]>) -> Self {
        let mut needs = Needs::default();
        for path in paths {
            let [object, field, ..] = path else {
                continue;
            };
            let carried = PAYLOAD_FIELDS
                .iter()
                .find(|(name, _)| name == object)
                .map(|(_, fields)| fields.contains(&field.as_str()));
            match (object.as_str(), carried) {
                ("ticket", Some(false)) => needs.ticket = true,
                ("requester", Some(false)) => needs.requester = true,
                ("current_user", Some(false)) => needs.current_user = true,
                _ => {}
            }
        }
        needs
    }

    /// Whether anything must be read.
    pub fn any(&self) -> bool {
        self.ticket || self.requester || self.current_user
    }
}

/// The document built from the webhook's trigger payload: `ticket` (id, status, tags,
/// requester_id), `requester` (id, email, name), `current_user` (id, role, email), in the
/// API's shapes. The payload was normalised when parsed (tags split into a list, roles and
/// statuses lowercased, ids as numbers, empty strings absent); absent values are left out,
/// so terms on them are false.
///
/// ```
/// use zendesk_sunco_bridge::filter::document;
/// use zendesk_support::inbound::parse_ticket_event;
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
    let mut requester = Map::new();
    if let Some(payload) = event.requester() {
        if let Some(id) = payload.id {
            requester.insert("id".into(), id.into());
            ticket_map.insert("requester_id".into(), id.into());
        }
        if let Some(email) = &payload.email {
            requester.insert("email".into(), email.clone().into());
        }
        if let Some(name) = &payload.name {
            requester.insert("name".into(), name.clone().into());
        }
    }
    let mut current_user = Map::new();
    if let Some(user) = &event.current_user {
        if let Some(id) = user.id {
            current_user.insert("id".into(), id.into());
        }
        if let Some(role) = &user.role {
            current_user.insert("role".into(), role.as_str().into());
        }
        if let Some(email) = &user.email {
            current_user.insert("email".into(), email.clone().into());
        }
    }
    json!({
        "ticket": Value::Object(ticket_map),
        "current_user": Value::Object(current_user),
        "requester": Value::Object(requester),
    })
}

/// The document from the API: `ticket` as `GET /api/v2/tickets/{id}` answers it, `requester`
/// and `current_user` as the users sideloaded with it (`include=users`), or read on their
/// own; a user not found keeps what the payload said of them.
pub fn api_document(
    event: &TicketEvent,
    ticket: Value,
    users: &[Value],
    current_user: Option<Value>,
) -> Value {
    let mut from_payload = document(event);
    let user = |id: Option<i64>| {
        id.and_then(|id| {
            users
                .iter()
                .find(|user| user.get("id").and_then(Value::as_i64) == Some(id))
                .cloned()
        })
    };
    let requester_id = ticket
        .get("requester_id")
        .and_then(Value::as_i64)
        .or_else(|| event.requester().and_then(|requester| requester.id));
    let updater_id = event.current_user.as_ref().and_then(|user| user.id);
    let requester = user(requester_id).unwrap_or_else(|| from_payload["requester"].take());
    let current_user = current_user
        .or_else(|| user(updater_id))
        .unwrap_or_else(|| from_payload["current_user"].take());
    json!({"ticket": ticket, "current_user": current_user, "requester": requester})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Vec<String> {
        text.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn payload_paths_cost_nothing_others_name_their_object() {
        let needs = |paths: &[&str]| {
            let paths: Vec<Vec<String>> = paths.iter().map(|p| path(p)).collect();
            Needs::of(paths.iter().map(Vec::as_slice))
        };
        assert!(!needs(&["ticket.tags", "ticket.status", "current_user.role"]).any());
        assert!(!needs(&["requester.email", "ticket"]).any());
        assert_eq!(
            needs(&["ticket.group_id"]),
            Needs {
                ticket: true,
                ..Needs::default()
            }
        );
        assert_eq!(
            needs(&["requester.user_fields.plan", "current_user.tags"]),
            Needs {
                requester: true,
                current_user: true,
                ..Needs::default()
            }
        );
    }

    #[test]
    fn paths_meya_did_not_hold_are_named() {
        for meya in [
            "ticket.group_id",
            "ticket.custom_fields",
            "requester.user_fields.plan",
            "current_user.photo.content_url",
            "ticket.status.x",
        ] {
            assert_eq!(unlike_meya(&path(meya)), None, "{meya}");
        }
        for other in [
            "ticket.via.channel",
            "requester.organization_id",
            "ticket.custom_fields.360001",
            "current_user.photo.size",
            "organization.name",
        ] {
            assert!(unlike_meya(&path(other)).is_some(), "{other}");
        }
    }
}
