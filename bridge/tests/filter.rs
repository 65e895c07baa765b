//! The filter language: Meya's default query, every syntax form, the errors, and a property
//! test that no input makes the parser panic.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bridge::filter::{Filter, FilterError, MAX_DEPTH, document};
use proptest::prelude::*;
use serde_json::{Value, json};
use zendesk_support::webhook::parse_ticket_event;

const SEED: &str = "ticket.tags:sunco_send\n  AND ticket.status:(new OR open OR pending)\n  AND current_user.role:(NOT end-user)";

fn event(status: &str, tags: &str, role: &str) -> Value {
    let body = format!(
        r#"{{"ticket":{{"id":"4021","status":"{status}","tags":"{tags}",
            "requester":{{"id":"35436","email":"jane@example.com","name":"Jane"}}}},
            "current_user":{{"id":"9","role":"{role}","email":"agent@acme.test"}}}}"#
    );
    document(&parse_ticket_event(body.as_bytes()).unwrap())
}

fn matches(query: &str, doc: &Value) -> bool {
    Filter::parse(query)
        .unwrap_or_else(|error| panic!("{query:?}: {error}"))
        .matches(doc)
}

fn error(query: &str) -> FilterError {
    match Filter::parse(query) {
        Ok(filter) => panic!("{query:?} parsed: {filter:?}"),
        Err(error) => error,
    }
}

#[test]
fn the_seed_filter_takes_agent_tickets_tagged_sunco_send() {
    let filter = Filter::parse(SEED).unwrap();
    assert!(filter.matches(&event("Open", "sunco_send", "Agent")));
    assert!(filter.matches(&event("New", "vip sunco_send", "Admin")));
    assert!(filter.matches(&event("Pending", "sunco_send", "Agent")));
    // Not tagged, wrong status, or written by the customer.
    assert!(!filter.matches(&event("Open", "vip", "Agent")));
    assert!(!filter.matches(&event("Open", "", "Agent")));
    assert!(!filter.matches(&event("Solved", "sunco_send", "Agent")));
    assert!(!filter.matches(&event("Hold", "sunco_send", "Agent")));
    assert!(!filter.matches(&event("Open", "sunco_send", "End-user")));
    assert!(!filter.matches(&event("Open", "sunco_send", "end-user")));
    // A tag that merely contains the word does not count.
    assert!(!filter.matches(&event("Open", "sunco_send_later", "Agent")));
}

#[test]
fn false_never_and_true_always_match() {
    let doc = event("Open", "sunco_send", "Agent");
    assert!(!Filter::parse("false").unwrap().matches(&doc));
    assert!(!Filter::default().matches(&doc));
    assert!(Filter::parse(" true ").unwrap().matches(&doc));
}

fn doc() -> Value {
    json!({
        "ticket": {"id": 4021, "status": "open", "tags": ["sunco_send", "vip", "a*b"],
                   "subject": "Help me now", "priority": null, "is_public": true,
                   "score": 7.5, "via": {"channel": "web"}},
        "current_user": {"id": 9, "role": "agent", "email": "sam@acme.test"},
        "requester": {"id": 35436, "email": "jane.doe+vip@example.com"}
    })
}

#[test]
fn boolean_operators_and_prefixes() {
    let d = doc();
    assert!(matches("ticket.status:open OR ticket.status:closed", &d));
    assert!(matches(
        "ticket.status:closed || current_user.role:agent",
        &d
    ));
    assert!(
        matches("ticket.status:open ticket.tags:vip", &d),
        "implicit AND"
    );
    assert!(!matches("ticket.status:open ticket.tags:gold", &d));
    assert!(matches("ticket.status:open && !ticket.tags:gold", &d));
    assert!(matches("+ticket.tags:vip -ticket.tags:gold", &d));
    assert!(!matches("+ticket.tags:vip -ticket.tags:sunco_send", &d));
    assert!(matches(
        "NOT (ticket.status:closed OR ticket.status:solved)",
        &d
    ));
    assert!(matches(
        "(ticket.status:closed OR ticket.tags:vip) AND current_user.id:9",
        &d
    ));
    assert!(matches("NOT NOT ticket.tags:vip", &d));
    // AND binds tighter than OR.
    assert!(matches(
        "ticket.status:closed AND ticket.tags:gold OR ticket.tags:vip",
        &d
    ));
    assert!(matches("ticket.status:(open AND NOT closed)", &d));
}

#[test]
fn values_match_whole_and_case_sensitively() {
    let d = doc();
    assert!(!matches("ticket.status:Open", &d));
    assert!(!matches("ticket.status:ope", &d));
    assert!(matches("ticket.subject:\"Help me now\"", &d));
    assert!(!matches("ticket.subject:Help", &d));
    assert!(matches(r#"requester.email:"jane.doe+vip@example.com""#, &d));
    assert!(matches("current_user.role:(NOT end-user)", &d));
}

#[test]
fn numbers_and_booleans_match_their_json_text() {
    let d = doc();
    assert!(matches("ticket.id:4021", &d));
    assert!(matches("ticket.is_public:true", &d));
    assert!(matches("ticket.score:7.5", &d));
    assert!(!matches("ticket.id:\"4021 \"", &d));
}

#[test]
fn missing_null_and_object_fields_make_a_term_false() {
    let d = doc();
    assert!(!matches("ticket.nothing:x", &d));
    assert!(matches("NOT ticket.nothing:x", &d));
    assert!(!matches("ticket.priority:*", &d));
    assert!(matches("NOT ticket.priority:null", &d));
    assert!(!matches("ticket.via:web", &d));
    assert!(matches("ticket.via.channel:web", &d));
    assert!(!matches("ticket.status.deeper:x", &d));
    assert!(matches("ticket.status:*", &d));
}

#[test]
fn wildcards_regexes_and_escapes() {
    let d = doc();
    assert!(matches("ticket.tags:sunco_*", &d));
    assert!(matches("ticket.tags:v?p", &d));
    assert!(!matches("ticket.tags:v?", &d));
    assert!(matches("requester.email:*@example.com", &d));
    assert!(
        matches(r"ticket.tags:a\*b", &d),
        "an escaped star is literal"
    );
    assert!(!matches(r"ticket.tags:a\*c", &d));
    assert!(matches("ticket.tags:/sun.o_send/", &d));
    assert!(!matches("ticket.tags:/sun/", &d), "regexes are anchored");
    assert!(matches(r"requester.email:/jane\.doe\+vip@.*/", &d));
    assert!(matches("ticket.status:/OPEN|open/", &d));
}

#[test]
fn ranges() {
    let d = doc();
    assert!(matches("ticket.id:[4000 TO 5000]", &d));
    assert!(matches("ticket.id:[4021 TO 4021]", &d));
    assert!(!matches("ticket.id:{4021 TO 5000}", &d));
    assert!(matches("ticket.id:{4020 TO *}", &d));
    assert!(matches("ticket.id:[* TO 4021]", &d));
    assert!(!matches("ticket.id:[* TO 4020]", &d));
    // Numbers compare as numbers (as text, "900" > "4021").
    assert!(!matches("ticket.id:[900 TO 1000]", &d));
    assert!(matches("ticket.status:[a TO p]", &d));
    assert!(!matches("ticket.status:{open TO p}", &d));
    assert!(matches("ticket.score:[7 TO 8]", &d));
}

#[test]
fn errors_name_the_column_and_what_was_expected() {
    let cases = [
        (
            "ticket.tags:",
            13,
            "expected a value after `ticket.tags:`, found the end",
        ),
        ("ticket.tags:a~", 14, "`~`"),
        ("ticket.tags:a^2", 14, "boosts"),
        ("(ticket.tags:a", 15, "expected `)`"),
        (
            "ticket.tags:a OR",
            17,
            "expected `field:value`, found the end",
        ),
        ("sunco_send", 1, "without a field"),
        ("ticket.tags:\"open", 13, "unterminated quoted phrase"),
        ("ticket.tags:/(/", 13, "invalid regular expression"),
        ("ticket.id:[1 TO]", 16, "range bound"),
        ("ticket.id:[1 2]", 14, "expected `TO`"),
        ("ticket.id:[1 TO 2", 18, "close the range"),
        ("ticket.tags:a)", 14, "expected an operator or the end"),
        ("", 1, "empty"),
        ("   ", 1, "empty"),
        ("a & b", 3, "`&&`"),
        ("a..b:c", 1, "not a field name"),
        (
            "AND ticket.tags:a",
            1,
            "expected `field:value`, found `AND`",
        ),
    ];
    for (query, column, fragment) in cases {
        let error = error(query);
        assert_eq!(error.column, column, "{query:?}: {error}");
        assert!(error.message.contains(fragment), "{query:?}: {error}");
        assert!(error.to_string().starts_with(&format!("column {column}:")));
    }
}

#[test]
fn nesting_is_limited() {
    let deep_enough = format!(
        "{}ticket.tags:a{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert!(Filter::parse(&deep_enough).is_ok());
    let too_deep = format!(
        "{}ticket.tags:a{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert!(error(&too_deep).message.contains("nesting"));
    let negations = format!("{}ticket.tags:a", "NOT ".repeat(MAX_DEPTH + 1));
    assert!(error(&negations).message.contains("nesting"));
    // Thousands of levels are refused, not a stack overflow.
    let hostile = "(".repeat(100_000);
    assert!(Filter::parse(&hostile).is_err());
}

/// 2000 cases unless `PROPTEST_CASES` says otherwise (long runs).
fn fuzz_config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var("PROPTEST_CASES").is_err() {
        config.cases = 2000;
    }
    config
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn the_parser_never_panics_on_any_text(query in "\\PC{0,80}") {
        let _ = Filter::parse(&query);
    }

    #[test]
    fn the_parser_never_panics_on_query_like_text(
        query in r#"([a-z._]{1,8}|[():"\[\]{}/*?~^!+\- \\]|AND|OR|NOT|TO|&&|\|\|){0,30}"#
    ) {
        if let Ok(filter) = Filter::parse(&query) {
            // Whatever parses also evaluates without panicking.
            let _ = filter.matches(&doc());
        }
    }
}
