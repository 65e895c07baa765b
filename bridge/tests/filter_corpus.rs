//! The differential corpus: Meya's answers (luqum 0.9.0 and Meya's evaluator's semantics,
//! see `filter_corpus/generate.py`) to thousands of queries over 32 documents. The bridge's
//! filter must give Meya's answer on every row, or refuse the query at load: always when
//! Meya refuses it or raises on a document, and otherwise only for a construct the generator
//! names as one the bridge refuses loudly (`loud`), by the same reason code.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use zendesk_sunco_bridge::filter::{Filter, Refusal};

#[test]
fn every_row_gets_meyas_answer_or_a_loud_refusal() {
    let corpus: Value = serde_json::from_str(include_str!("filter_corpus/corpus.json")).unwrap();
    let documents = corpus["documents"].as_array().unwrap();
    let rows = corpus["rows"].as_array().unwrap();
    assert!(rows.len() >= 2000 && documents.len() >= 30);
    let mut answered = 0;
    let mut refused_with_meya = 0;
    let mut refused_loudly = 0;
    let mut failures = Vec::new();
    for row in rows {
        let query = row["q"].as_str().unwrap();
        let answers = row["a"].as_str().unwrap();
        let loud: Vec<&str> = row["loud"]
            .as_array()
            .map(|reasons| reasons.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let meya_refuses = answers == "R" || answers.contains('E');
        match Filter::parse(query) {
            Err(error) => match error.refusal {
                _ if meya_refuses => refused_with_meya += 1,
                Refusal::Surprising(reason) if loud.contains(&reason) => refused_loudly += 1,
                other => failures.push(format!(
                    "{query:?}: Meya answers {answers}, refused here ({other:?}): {error}"
                )),
            },
            Ok(_) if meya_refuses => failures.push(format!(
                "{query:?}: Meya refuses ({}), accepted here",
                row["why"].as_str().unwrap_or("raises on a document")
            )),
            Ok(filter) => {
                let ours: String = documents
                    .iter()
                    .map(|document| if filter.matches(document) { 'T' } else { 'F' })
                    .collect();
                if ours == answers {
                    answered += 1;
                } else {
                    failures.push(format!("{query:?}: Meya {answers}, here {ours}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    // Most of the corpus is answered, not refused: the comparison is real.
    assert!(answered * 10 >= rows.len() * 6, "{answered} answered");
    eprintln!(
        "{answered} queries answered as Meya does on every document, {refused_with_meya} refused \
         as Meya refuses them, {refused_loudly} refused loudly where Meya answers silently"
    );
}
