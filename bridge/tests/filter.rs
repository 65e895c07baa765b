//! The filter language: Meya's default query, every syntax form, the errors, and a property
//! test that no input makes the parser panic.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use zendesk_sunco_bridge::filter::{Filter, FilterError, MAX_DEPTH, Refusal, document};
use zendesk_support::inbound::parse_ticket_event;

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
fn false_never_matches_the_empty_query_always_does() {
    let doc = event("Open", "sunco_send", "Agent");
    assert!(!Filter::parse("false").unwrap().matches(&doc));
    assert!(!Filter::default().matches(&doc));
    // Meya parses an empty query to an empty AND: everything matches (loudly).
    let empty = Filter::parse("  ").unwrap();
    assert!(empty.matches(&doc));
    assert!(!empty.warnings().is_empty());
    // The text `true` is a term with no field to Meya, which never matches: refused.
    assert_eq!(error(" true ").refusal, Refusal::Surprising("bare"));
}

fn doc() -> Value {
    json!({
        "ticket": {"id": 4021, "status": "open", "tags": ["sunco_send", "vip", "a*b"],
                   "subject": "Help me now", "priority": null, "is_public": true,
                   "score": 7.5, "via": {"channel": "web"},
                   "custom_fields": [{"id": 360001, "value": "gold"}, {"id": 360002, "value": null}]},
        "current_user": {"id": 9, "role": "agent", "email": "sam@acme.test"},
        "requester": {"id": 35436, "email": "jane.doe+vip@example.com",
                      "user_fields": {"plan": "gold", "seats": 12}}
    })
}

#[test]
fn boolean_operators_with_luqums_precedence() {
    let d = doc();
    assert!(matches("ticket.status:open OR ticket.status:closed", &d));
    assert!(
        matches("ticket.status:open ticket.tags:vip", &d),
        "juxtaposition is AND"
    );
    assert!(!matches("ticket.status:open ticket.tags:gold", &d));
    assert!(matches(
        "NOT (ticket.status:closed OR ticket.status:solved)",
        &d
    ));
    assert!(matches("NOT NOT ticket.tags:vip", &d));
    // AND binds tighter than OR.
    assert!(matches(
        "ticket.status:closed AND ticket.tags:gold OR ticket.tags:vip",
        &d
    ));
    // Juxtaposition binds looser than OR: `a b OR c` is `a AND (b OR c)`.
    assert!(!matches(
        "ticket.status:closed ticket.tags:gold OR ticket.tags:vip",
        &d
    ));
    assert!(!matches("ticket.tags:(gold sunco_send OR vip)", &d));
    assert!(matches("ticket.tags:(vip sunco_send OR gold)", &d));
    // An operand starting with NOT closes what came before: `(x OR y) AND NOT z`.
    assert!(!matches(
        "ticket.status:open OR ticket.status:new NOT ticket.tags:vip",
        &d
    ));
    assert!(matches("ticket.status:(open AND NOT closed)", &d));
    // Nested fields join.
    assert!(matches("ticket:(status:open AND tags:vip)", &d));
    assert!(matches("ticket:status:open", &d));
}

#[test]
fn what_luqum_reads_as_words_is_refused_loudly() {
    for (query, reason) in [
        (
            "ticket.status:closed || current_user.role:agent",
            "plain-word",
        ),
        ("ticket.status:open && ticket.tags:vip", "plain-word"),
        ("!ticket.tags:gold", "plain-word"),
        ("ticket.tags:(vip && gold)", "plain-word"),
        ("sunco_send", "bare"),
        ("ticket.tags:vip OR sunco_send", "bare"),
        ("ticket.status:open and ticket.tags:vip", "bare"),
        ("ticket.tags:'vip'", "skipped-character"),
    ] {
        let error = error(query);
        assert_eq!(
            error.refusal,
            Refusal::Surprising(reason),
            "{query:?}: {error}"
        );
    }
    // Escaped, they are values.
    assert!(!matches(r"ticket.tags:\&&", &doc()));
    for (query, what) in [
        ("+ticket.tags:vip", "`+` and `-`"),
        ("-ticket.tags:gold", "`+` and `-`"),
        ("ticket.tags:a~", "fuzzy"),
        ("ticket.tags:\"a b\"~2", "proximity"),
        ("ticket.tags:a^2", "boosts"),
    ] {
        let error = error(query);
        assert_eq!(error.refusal, Refusal::Meya, "{query:?}: {error}");
        assert!(error.message.contains(what), "{query:?}: {error}");
    }
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
    // Python's `$`: a value's final newline is ignored.
    assert!(matches(
        "ticket.status:open",
        &json!({"ticket": {"status": "open\n"}})
    ));
    assert!(!matches(
        "ticket.status:open",
        &json!({"ticket": {"status": "open\n\n"}})
    ));
}

#[test]
fn numbers_and_booleans_match_their_json_text() {
    let d = doc();
    assert!(matches("ticket.id:4021", &d));
    assert!(matches("ticket.is_public:true", &d));
    assert!(matches("ticket.score:7.5", &d));
    assert!(!matches("ticket.id:\"4021 \"", &d));
    assert!(matches("ticket.x:1.0", &json!({"ticket": {"x": 1.0}})));
    assert!(matches("ticket.x:1e+16", &json!({"ticket": {"x": 1e16}})));
}

#[test]
fn missing_null_and_object_fields_make_a_term_false() {
    let d = doc();
    assert!(!matches("ticket.nothing:x", &d));
    assert!(matches("NOT ticket.nothing:x", &d));
    assert!(!matches("ticket.priority:*", &d));
    assert!(matches("NOT ticket.priority:null", &d));
    assert!(!matches("ticket.via:web", &d));
    assert!(!matches("ticket.status.deeper:x", &d));
    assert!(matches("ticket.status:*", &d));
    assert!(!matches("ticket:x", &d));
}

#[test]
fn the_whole_ticket_is_reachable_and_what_meya_lacked_is_warned_about() {
    let d = doc();
    let via = Filter::parse("ticket.via.channel:web").unwrap();
    assert!(via.matches(&d));
    assert!(via.warnings()[0].contains("not in Meya's document"));
    let custom = Filter::parse("ticket.custom_fields.360001:gold").unwrap();
    assert!(custom.matches(&d));
    assert!(custom.warnings()[0].contains("extension"));
    assert!(!matches("ticket.custom_fields.360002:*", &d));
    assert!(!matches("ticket.custom_fields.9:gold", &d));
    let plan =
        Filter::parse("requester.user_fields.plan:gold AND requester.user_fields.seats:[10 TO 20]")
            .unwrap();
    assert!(plan.matches(&d));
    assert!(plan.warnings().is_empty(), "user fields were Meya's too");
    let seed = Filter::parse(SEED).unwrap();
    assert!(seed.warnings().is_empty());
    assert!(
        !seed.needs().any(),
        "the seed reads only what the payload carries"
    );
    let paths: Vec<String> = seed.paths().map(|path| path.join(".")).collect();
    assert_eq!(paths, ["current_user.role", "ticket.status", "ticket.tags"]);
    let group = Filter::parse("ticket.group_id:123").unwrap();
    assert!(group.needs().ticket && !group.needs().current_user);
}

#[test]
fn wildcards_phrases_regexes_and_escapes() {
    let d = doc();
    assert!(matches("ticket.tags:sunco_*", &d));
    assert!(matches("ticket.tags:v?p", &d));
    assert!(!matches("ticket.tags:v?", &d));
    assert!(matches("requester.email:*@example.com", &d));
    // Wildcards apply inside phrases too, as in Meya.
    assert!(matches("requester.email:\"*@example.com\"", &d));
    assert!(
        matches(r"ticket.tags:a\*b", &d),
        "an escaped star is literal"
    );
    assert!(!matches(r"ticket.tags:a\*c", &d));
    assert!(matches("ticket.tags:/sun.o_send/", &d));
    assert!(!matches("ticket.tags:/sun/", &d), "regexes are anchored");
    assert!(matches(r"requester.email:/jane\.doe\+vip@.*/", &d));
    assert!(matches("ticket.status:/OPEN|open/", &d));
    // Python's `^a|b$`: `o` at the start is enough.
    assert!(matches("ticket.status:/o|x/", &d));
    assert_eq!(
        error("ticket.status:/(?=o)open/").refusal,
        Refusal::Surprising("regex-not-portable")
    );
    assert_eq!(
        error("ticket.status:/(/").refusal,
        Refusal::Surprising("invalid-regex")
    );
}

#[test]
fn ranges_compare_numbers_only() {
    let d = doc();
    assert!(matches("ticket.id:[4000 TO 5000]", &d));
    assert!(matches("ticket.id:[4021 TO 4021]", &d));
    assert!(!matches("ticket.id:{4021 TO 5000}", &d));
    assert!(matches("ticket.id:{4020 TO 4022]", &d));
    assert!(matches("ticket.score:[7 TO 8]", &d));
    assert!(matches("ticket.id:[\"4.0e3\" TO 1e4]", &d));
    // Booleans count as 1 and 0, strings never.
    assert!(matches("ticket.is_public:[1 TO 1]", &d));
    assert!(!matches("ticket.status:[0 TO 1e9]", &d));
    for query in [
        "ticket.id:{4020 TO *}",
        "ticket.status:[a TO p]",
        "ticket.id:[5000 TO 4000]",
    ] {
        assert_eq!(
            error(query).refusal,
            Refusal::Surprising("invalid-range"),
            "{query}"
        );
    }
}

#[test]
fn errors_name_the_column_and_what_was_expected() {
    let cases = [
        ("ticket.tags:", 13, "expected a term, `field:value`"),
        (
            "(ticket.tags:a",
            15,
            "expected `)` to close the `(` at column 1",
        ),
        ("ticket.tags:a OR", 17, "found the end of the query"),
        ("ticket.tags:\"open", 13, "skips it"),
        ("ticket.id:[1 TO]", 16, "range bound"),
        ("ticket.id:[1 2]", 14, "expected `TO`"),
        ("ticket.id:[1 TO 2", 18, "close the range"),
        ("ticket.tags:a)", 14, "expected an operator or the end"),
        ("AND ticket.tags:a", 1, "found `AND`"),
        ("ticket.tags:AND", 13, "found `AND`"),
    ];
    for (query, column, fragment) in cases {
        let error = error(query);
        assert_eq!(error.column, column, "{query:?}: {error}");
        assert!(error.message.contains(fragment), "{query:?}: {error}");
        assert!(error.to_string().starts_with(&format!("column {column}:")));
    }
}

#[test]
fn nesting_is_limited_as_meya_limits_it() {
    // luqum's tree: each group is a level, and the field and the word are two more.
    let deep_enough = format!("ticket.tags:{}a{}", "(".repeat(8), ")".repeat(8));
    assert!(Filter::parse(&deep_enough).is_ok());
    let too_deep = format!("ticket.tags:{}a{}", "(".repeat(9), ")".repeat(9));
    assert_eq!(error(&too_deep).refusal, Refusal::Meya);
    let negations = format!("{}ticket.tags:a", "NOT ".repeat(MAX_DEPTH - 1));
    assert_eq!(error(&negations).refusal, Refusal::Meya);
    assert!(Filter::parse(&format!("{}ticket.tags:a", "NOT ".repeat(MAX_DEPTH - 2))).is_ok());
    // Thousands of levels are refused, not a stack overflow.
    let hostile = "(".repeat(100_000);
    assert!(Filter::parse(&hostile).is_err());
    let hostile = "NOT ".repeat(100_000);
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
