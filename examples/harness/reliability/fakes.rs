//! The run's Zendesk and SunCo: the SDKs' stateful fakes (`FakeZendesk`, `FakeSunCo`), with
//! the customers made up front and the counting the checks need.
//!
//! Faults, chosen at random per call by the fakes: 500 and 429 (with `Retry-After: 1`) are
//! refused before anything changes; a *hang* applies the call and then answers after the
//! client's timeout; a *reset* applies it and breaks the connection mid-answer. The last two
//! are the ambiguous failures: the write happened, the client cannot know.

use std::collections::HashMap;
use std::time::Duration;

use sunshine_conversations::testing::FakeSunCo;
use zendesk_support::testing::{FakeZendesk, FaultCounts};

use super::{Delivery, SIGNING_SECRET, SUNCO_SECRET, TARGET_PASSWORD};

/// One customer: their Zendesk requester id and their SunCo conversation.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub(crate) requester: i64,
    pub(crate) conversation: String,
}

/// Both fakes and the customers in them.
#[derive(Debug)]
pub(crate) struct Fakes {
    pub(crate) zendesk: FakeZendesk,
    pub(crate) sunco: FakeSunCo,
    agent: i64,
    customers: Vec<Customer>,
}

impl Fakes {
    /// Fakes with `customers` customers (each a Zendesk end user and a SunCo user with a
    /// conversation), failing `fault_rate` of calls; a hang lasts `hang`.
    pub(crate) async fn start(
        customers: u32,
        fault_rate: f64,
        hang: Duration,
        seed: u64,
    ) -> std::io::Result<Self> {
        let zendesk = FakeZendesk::builder()
            .signing_secret(SIGNING_SECRET)
            .basic_auth("meya", TARGET_PASSWORD)
            .start()
            .await?;
        let sunco = FakeSunCo::builder()
            .app_id("app_1")
            .webhook_secret(SUNCO_SECRET)
            .start()
            .await?;
        for control in [zendesk.control(), sunco.control()] {
            // Long runs: keep counting, stop keeping every request.
            control.set_recording(false);
        }
        if fault_rate > 0.0 {
            zendesk.control().fail_at_random(fault_rate, hang, seed);
            sunco
                .control()
                .fail_at_random(fault_rate, hang, seed ^ 0x5c0);
        }
        let agent = zendesk.add_agent("Agent Smith", "agent@acme.test");
        let customers = (0..customers)
            .map(|t| {
                let email = format!("customer{t}@example.test");
                let requester = zendesk.add_end_user(&format!("Customer {t}"), &email);
                let (_, conversation) = sunco.add_user(&email);
                Customer {
                    requester,
                    conversation,
                }
            })
            .collect();
        Ok(Self {
            zendesk,
            sunco,
            agent,
            customers,
        })
    }

    /// How many customers the fakes were made with.
    pub(crate) fn customer_count(&self) -> u32 {
        u32::try_from(self.customers.len()).unwrap_or(u32::MAX)
    }

    fn customer(&self, t: u32) -> Option<&Customer> {
        self.customers.get(t as usize)
    }

    /// A new ticket for customer `t` tagged `sunco_send`, with the agent's first comment;
    /// answers both ids.
    pub(crate) fn open_ticket(&self, t: u32, text: &str) -> (i64, i64) {
        let requester = self.customer(t).map_or(0, |c| c.requester);
        let (ticket, comment) = self.zendesk.open_ticket(requester, self.agent, text);
        self.zendesk.add_tags(ticket, &["sunco_send"]);
        (ticket, comment)
    }

    /// The agent's public comment on a ticket; answers its id.
    pub(crate) fn agent_comment(&self, ticket: i64, text: &str) -> i64 {
        self.zendesk
            .add_comment(ticket, self.agent, text, true)
            .unwrap_or_default()
    }

    /// The agent solves the ticket.
    pub(crate) fn solve(&self, ticket: i64) {
        self.zendesk.set_status(ticket, "solved");
    }

    /// The trigger's webhook for the ticket, as the agent left it.
    pub(crate) fn ticket_webhook(&self, ticket: i64) -> Delivery {
        let webhook = self.zendesk.ticket_webhook(ticket, self.agent);
        Delivery {
            path: "/webhooks/zendesk",
            headers: webhook
                .as_ref()
                .map(|w| w.headers.clone())
                .unwrap_or_default(),
            body: webhook.map(|w| w.body).unwrap_or_default(),
        }
    }

    /// Customer `t` writes `text` in the messenger: SunCo's webhook for it.
    pub(crate) fn customer_message(&self, t: u32, text: &str) -> Delivery {
        let webhook = self
            .customer(t)
            .and_then(|c| self.sunco.customer_message(&c.conversation, text));
        Delivery {
            path: "/webhooks/sunco",
            headers: webhook
                .as_ref()
                .map(|w| w.headers.clone())
                .unwrap_or_default(),
            body: webhook.map(|w| w.body).unwrap_or_default(),
        }
    }

    /// How often each agent comment reached customer `t`'s conversation, by
    /// `comment id/part`.
    pub(crate) fn sent_to(&self, t: u32) -> HashMap<String, usize> {
        let mut sent = HashMap::new();
        let messages = self
            .customer(t)
            .and_then(|c| self.sunco.conversation(&c.conversation))
            .map(|conversation| conversation.messages)
            .unwrap_or_default();
        for message in messages.iter().filter(|m| m.author_type == "business") {
            let metadata = message.metadata.clone().unwrap_or_default();
            let key = format!(
                "{}/{}",
                metadata["zendesk_comment_id"].as_str().unwrap_or_default(),
                metadata["zendesk_part"].as_str().unwrap_or_default()
            );
            *sent.entry(key).or_default() += 1;
        }
        sent
    }

    /// Whether an agent comment reached customer `t`.
    pub(crate) fn delivered(&self, t: u32, comment: i64) -> bool {
        self.sent_to(t)
            .keys()
            .any(|key| key.split('/').next() == Some(comment.to_string().as_str()))
    }

    /// Whether anything reached customer `t`.
    pub(crate) fn any_delivered(&self, t: u32) -> bool {
        !self.sent_to(t).is_empty()
    }

    /// The public comments the agent wrote on customer `t`'s tickets.
    pub(crate) fn agent_comments(&self, t: u32) -> Vec<i64> {
        let requester = self.customer(t).map_or(0, |c| c.requester);
        self.zendesk
            .tickets_requested_by(requester)
            .iter()
            .flat_map(|ticket| &ticket.comments)
            .filter(|comment| comment.author_id == self.agent && comment.public)
            .map(|comment| comment.id)
            .collect()
    }

    /// How often customer `t`'s `text` was posted to Zendesk (the bridge puts batched
    /// messages a paragraph apart in one comment).
    pub(crate) fn reply_count(&self, t: u32, text: &str) -> usize {
        let requester = self.customer(t).map_or(0, |c| c.requester);
        self.zendesk
            .tickets_requested_by(requester)
            .iter()
            .flat_map(|ticket| &ticket.comments)
            .filter(|comment| comment.author_id == requester)
            .flat_map(|comment| comment.body.split("\n\n"))
            .filter(|paragraph| paragraph.trim() == text)
            .count()
    }

    /// The faults both fakes injected.
    pub(crate) fn counts(&self) -> FaultCounts {
        self.zendesk.control().counts() + self.sunco.control().counts()
    }
}
