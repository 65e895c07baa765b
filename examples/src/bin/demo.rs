//! The whole agent-initiated conversation on one machine, no accounts needed: loopback fakes
//! of Zendesk and SunCo, the bridge on an embedded SQLite file, and the story told step by
//! step. Run: `cargo run -p examples --bin demo`.

use std::error::Error;
use std::sync::Arc;

use meya_links::prelude::*;
use meya_links::{SUNSHINE_CONVERSATIONS, SqliteStore, ZENDESK_SUPPORT};
use sunshine_conversations::testing::FakeSunCo;
use zendesk_sunco_bridge::config::Config;
use zendesk_sunco_bridge::{Bridge, SunCoEventOutcome, ZendeskWebhookOutcome};
use zendesk_support::testing::FakeZendesk;

const EMAIL: &str = "jane.doe@example.com";
const SIGNING_SECRET: &str = "demo-signing-secret";
const TARGET_PASSWORD: &str = "demo-target-password";
const SUNCO_WEBHOOK_SECRET: &str = "demo-sunco-webhook-secret";

fn step(number: u32, text: &str) {
    println!("\n{number}. {text}");
}

/// Prints what Jane's messenger shows.
fn show_messenger(sunco: &FakeSunCo, conversation: &str) {
    let messages = sunco
        .conversation(conversation)
        .map(|found| found.messages)
        .unwrap_or_default();
    for message in messages {
        println!(
            "     {}: {}",
            if message.author_type == "user" {
                "Jane"
            } else {
                message.display_name.as_deref().unwrap_or("Support")
            },
            message.text().unwrap_or("(media)")
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    println!("zendesk-sunco demo: an agent-initiated conversation, on loopback fakes");
    // Zendesk's webhook signs with its secret and sends the target's basic auth; SunCo's
    // sends its API key: the same checks a real deployment makes.
    let zendesk = FakeZendesk::builder()
        .signing_secret(SIGNING_SECRET)
        .basic_auth("meya", TARGET_PASSWORD)
        .start()
        .await?;
    let sunco = FakeSunCo::builder()
        .app_id("demo-app")
        .webhook_secret(SUNCO_WEBHOOK_SECRET)
        .start()
        .await?;
    let sam = zendesk.add_agent("Sam (Support)", "sam@acme.test");
    let jane = zendesk.add_end_user("Jane Doe", EMAIL);
    // Jane has opened the messenger once: SunCo knows her by her email.
    let sunco_user = sunco.add_user_without_conversation(EMAIL);
    // The link store lives in a temporary directory, removed when the demo ends.
    let dir = tempfile::tempdir()?;
    let store = Arc::new(SqliteStore::open(dir.path().join("bridge.db")).await?);
    let config = Config::loader()
        .toml(zendesk_sunco_bridge::config::SEED_TOML)?
        .env_with(|name| {
            let value = match name {
                "ZENDESK_SUBDOMAIN" => "acme".to_owned(),
                "ZENDESK_BASE_URL" => zendesk.url().to_owned(),
                "ZENDESK_BOT_AGENT_EMAIL" => "bot@acme.test".to_owned(),
                "ZENDESK_BOT_AGENT_API_TOKEN" => "demo-api-token".to_owned(),
                "ZENDESK_TARGET_PASSWORD" => TARGET_PASSWORD.to_owned(),
                "ZENDESK_WEBHOOK_SIGNING_SECRET" => SIGNING_SECRET.to_owned(),
                "SUNCO_APP_ID" => "demo-app".to_owned(),
                "SUNCO_KEY_ID" => "app_demo".to_owned(),
                "SUNCO_KEY_SECRET" => "demo-key-secret".to_owned(),
                "SUNCO_WEBHOOK_SECRET" => SUNCO_WEBHOOK_SECRET.to_owned(),
                "SUNCO_BASE_URL" => sunco.url().to_owned(),
                _ => return None,
            };
            Some(value)
        })
        .build()?;
    println!("   settings: the seed's (markdown, unlink on closed/solved, filter on sunco_send)");
    let links: Arc<dyn LinkStore> = store.clone();
    let bridge = Bridge::new(config, Arc::clone(&links))?;

    let first = "Hi Jane! Your replacement part **shipped today**; it arrives Friday.";
    let (ticket, _) = zendesk.open_ticket(jane, sam, first);
    zendesk.add_tags(ticket, &["sunco_send"]);
    step(
        1,
        &format!("Sam (agent) creates ticket #{ticket} for {EMAIL}, tagged sunco_send:"),
    );
    println!("   \"{first}\"");

    step(
        2,
        "Zendesk's trigger calls the bridge's webhook; the bridge verifies and runs the flow:",
    );
    let webhook = zendesk.ticket_webhook(ticket, sam).ok_or("no ticket")?;
    let conversation = match bridge
        .handle_zendesk_webhook(&webhook.headers, &webhook.body)
        .await
    {
        Ok(ZendeskWebhookOutcome::Started(outcome)) => {
            println!(
                "   requester {jane} and SunCo user {} -> internal user {}",
                outcome.sunco_user_id, outcome.user
            );
            println!(
                "   ticket #{} and conversation {} -> thread {}",
                outcome.ticket_id, outcome.conversation_id, outcome.thread
            );
            println!(
                "   comments delivered: {}",
                outcome.comments.delivered.len()
            );
            outcome.conversation_id
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    };
    println!("   Jane's messenger now shows:");
    show_messenger(&sunco, &conversation);

    step(
        3,
        "Zendesk repeats the webhook (it does): nothing is sent twice.",
    );
    if let Ok(ZendeskWebhookOutcome::Synced { comments, .. }) = bridge
        .handle_zendesk_webhook(&webhook.headers, &webhook.body)
        .await
    {
        println!(
            "   already delivered: {}, sent now: {}",
            comments.already_delivered,
            comments.delivered.len()
        );
    }

    step(
        4,
        "Jane replies in the messenger; SunCo calls the bridge's other webhook:",
    );
    let reply = sunco
        .customer_message(&conversation, "Great, thank you! Will it need tools?")
        .ok_or("no conversation")?;
    let outcomes = bridge
        .handle_sunco_webhook(&reply.headers, &reply.body)
        .await?;
    if let Some(SunCoEventOutcome::Commented { ticket_id, .. }) = outcomes.first() {
        println!("   ticket #{ticket_id} now has Jane's comment:");
    }
    for comment in zendesk.ticket(ticket).ok_or("no ticket")?.comments {
        let who = if comment.author_id == jane {
            "Jane"
        } else {
            "Sam"
        };
        println!("     {who}: {}", comment.body);
    }

    step(
        5,
        "Sam answers and solves the ticket; the bridge sends the answer, then unlinks:",
    );
    zendesk.add_comment(
        ticket,
        sam,
        "No tools needed, it clicks in. Have a good day!",
        true,
    );
    zendesk.set_status(ticket, "solved");
    let solved = zendesk.ticket_webhook(ticket, sam).ok_or("no ticket")?;
    match bridge
        .handle_zendesk_webhook(&solved.headers, &solved.body)
        .await
    {
        Ok(ZendeskWebhookOutcome::Unlinked { comments, .. }) => {
            println!(
                "   sent: {} message(s); ticket #{ticket} unlinked from the thread",
                comments.delivered.len()
            );
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    }
    let linked = links
        .thread_try_lookup(ZENDESK_SUPPORT, &ticket.to_string())
        .await?;
    let thread = links
        .thread_try_lookup(SUNSHINE_CONVERSATIONS, &sunco_user)
        .await?;
    println!(
        "   ticket link: {linked:?}; Jane's thread is kept: {}",
        thread.is_some()
    );
    println!("   Jane's messenger, in the end:");
    show_messenger(&sunco, &conversation);
    println!(
        "\nDone: every message crossed exactly once. Links are in {}",
        dir.path().join("bridge.db").display()
    );
    Ok(())
}
