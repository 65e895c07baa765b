//! setup: installs the bridge's wiring in a real Zendesk account and SunCo app, idempotently.
//!
//! 1. the Zendesk webhook to `{url}/webhooks/zendesk`, with basic auth (`ZENDESK_TARGET_USERNAME`,
//!    default `meya`, and `ZENDESK_TARGET_PASSWORD`), created or updated in place;
//! 2. its signing secret;
//! 3. the trigger that calls it on every update of tickets tagged `--tag` (default
//!    `sunco_send`) and of the tickets the bridge opens (tag `sunco`), the update that closes
//!    them included, with the trigger body `zendesk_support::inbound::TRIGGER_PAYLOAD`;
//! 4. the SunCo custom integration whose webhook calls `{url}/webhooks/sunco` on
//!    `conversation:message`, and its secret.
//!
//! Everything is found again by `--name` on the next run and updated, never duplicated. It
//! prints the two secrets to put in the bridge-server's environment (on stdout only: they are
//! never logged). `--dry-run` reads what exists and prints the changes it would make instead.
//!
//! Credentials come from the same environment as bridge-server's (`ZENDESK_*`, `SUNCO_*`); the
//! Zendesk agent must be an admin. Run:
//! `cargo run -p examples --bin setup -- --url https://bridge.example.com`.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use meya_links::MemoryStore;
use serde_json::{Value, json};
use sunshine_conversations::ExposeSecret;
use zendesk_sunco_bridge::Bridge;
use zendesk_sunco_bridge::config::{Config, SEED_TOML, ZendeskAuth};
use zendesk_support::inbound::TRIGGER_PAYLOAD;
use zendesk_support::{Action, Condition, Conditions, NewTrigger, NewWebhook};

/// The SunCo events the bridge needs.
const SUNCO_TRIGGERS: [&str; 1] = ["conversation:message"];
/// The tag the bridge gives tickets it opens for customer replies.
const BRIDGE_TICKET_TAG: &str = "sunco";

/// Installs (or updates) the Zendesk webhook and trigger and the SunCo webhook the bridge
/// needs, then prints the secrets to put in the bridge-server's environment.
#[derive(Debug, Parser)]
#[command(name = "setup", version)]
struct Args {
    // Not a doc comment: rustdoc would want the example URL as a link, clap shows it as is.
    #[arg(
        long,
        help = "The bridge-server's public base URL, e.g. https://bridge.example.com \
                (webhooks go to /webhooks/zendesk and /webhooks/sunco under it)"
    )]
    url: String,
    /// The ticket tag that starts a conversation.
    #[arg(long, default_value = "sunco_send")]
    tag: String,
    /// The name of the Zendesk webhook, the trigger and the SunCo integration: how a later run
    /// finds them to update.
    #[arg(long, default_value = "Meya SunCo bridge")]
    name: String,
    /// Read what exists and print the changes instead of making them.
    #[arg(long)]
    dry_run: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("setup: {error}");
            ExitCode::FAILURE
        }
    }
}

type Failure = Box<dyn std::error::Error>;

async fn run(args: &Args) -> Result<(), Failure> {
    let base = public_url(&args.url)?;
    let config = Config::loader()
        .toml(SEED_TOML)?
        // setup makes these two secrets; the loader insists on them, so they get stand-ins.
        .env_with(|name| match name {
            "ZENDESK_WEBHOOK_SIGNING_SECRET" | "SUNCO_WEBHOOK_SECRET" => {
                Some("made by setup".into())
            }
            other => std::env::var(other).ok(),
        })
        .build()?;
    let username = config.zendesk.target_username.clone();
    let password = config.zendesk.target_password.expose_secret().to_owned();
    if matches!(config.zendesk.auth, ZendeskAuth::OAuth { .. }) {
        println!("note: the OAuth client needs the `webhooks:write triggers:write` scopes");
    }
    let bridge = Bridge::new(config, Arc::new(MemoryStore::new()))?;
    let zendesk = bridge.zendesk();
    let sunco = bridge.sunco();
    let mode = if args.dry_run { "would" } else { "did" };

    // 1. The Zendesk webhook, found by name.
    let endpoint = format!("{base}/webhooks/zendesk");
    let webhook = NewWebhook::for_triggers(&args.name, &endpoint).basic_auth(&username, &password);
    let existing = zendesk
        .webhooks()
        .list()
        .all()
        .await?
        .into_iter()
        .find(|w| w.name.as_deref() == Some(args.name.as_str()));
    let shown = redacted_webhook(&webhook);
    let webhook_id = match existing {
        Some(found) => {
            println!(
                "Zendesk webhook {:?} ({}): {mode} update",
                args.name, found.id
            );
            show("PUT", &format!("/api/v2/webhooks/{}", found.id), &shown);
            if !args.dry_run {
                zendesk.webhooks().update(&found.id, &webhook).await?;
            }
            Some(found.id)
        }
        None => {
            println!("Zendesk webhook {:?}: {mode} create", args.name);
            show("POST", "/api/v2/webhooks", &shown);
            if args.dry_run {
                None
            } else {
                Some(zendesk.webhooks().create(&webhook).await?.id)
            }
        }
    };

    // 2. Its signing secret.
    let signing_secret = match &webhook_id {
        Some(id) if !args.dry_run => Some(zendesk.webhooks().signing_secret(id).await?),
        _ => None,
    };

    // 3. The trigger, found by title.
    let trigger = NewTrigger::new(
        &args.name,
        // No status condition: Zendesk runs triggers on every update of an open ticket and on
        // the update that closes it (never after), and the bridge must hear of the closing
        // to unlink (Meya's default `unlink_ticket_status: [closed]`).
        Conditions::all(Vec::new()).with_any(vec![
            Condition::new("current_tags", "includes", args.tag.as_str()),
            Condition::new("current_tags", "includes", BRIDGE_TICKET_TAG),
        ]),
        vec![Action::notify_webhook(
            webhook_id.as_deref().unwrap_or("(the webhook's id)"),
            TRIGGER_PAYLOAD,
        )],
    );
    let shown = json!({ "trigger": trigger });
    let existing = zendesk
        .triggers()
        .list()
        .all()
        .await?
        .into_iter()
        .find(|t| t.title.as_deref() == Some(args.name.as_str()));
    match existing {
        Some(found) => {
            println!(
                "Zendesk trigger {:?} ({}): {mode} update",
                args.name, found.id
            );
            show("PUT", &format!("/api/v2/triggers/{}", found.id), &shown);
            if !args.dry_run {
                zendesk.triggers().update(found.id, &trigger).await?;
            }
        }
        None => {
            println!("Zendesk trigger {:?}: {mode} create", args.name);
            show("POST", "/api/v2/triggers", &shown);
            if !args.dry_run {
                zendesk.triggers().create(&trigger).await?;
            }
        }
    }

    // 4. The SunCo custom integration and its webhook, found by display name.
    let target = format!("{base}/webhooks/sunco");
    let existing = sunco
        .integrations()
        .list_custom()
        .await?
        .into_iter()
        .find(|i| i.display_name.as_deref() == Some(args.name.as_str()));
    let app_path = format!("/v2/apps/{}/integrations", sunco.app_id());
    let sunco_secret = match existing {
        Some(found) if !found.webhooks.is_empty() => {
            let hook = &found.webhooks[0];
            println!(
                "SunCo integration {:?} ({}), webhook {}: {mode} update",
                args.name, found.id, hook.id
            );
            show(
                "PATCH",
                &format!("{app_path}/{}/webhooks/{}", found.id, hook.id),
                &json!({"target": target, "triggers": SUNCO_TRIGGERS}),
            );
            if args.dry_run {
                None
            } else {
                sunco
                    .integrations()
                    .update_webhook(&found.id, &hook.id, &target, &SUNCO_TRIGGERS)
                    .await?;
                sunco
                    .integrations()
                    .webhook(&found.id, &hook.id)
                    .await?
                    .secret
            }
        }
        _ => {
            println!("SunCo integration {:?}: {mode} create", args.name);
            show(
                "POST",
                &app_path,
                &json!({"type": "custom", "displayName": args.name, "webhooks": [
                    {"target": target, "triggers": SUNCO_TRIGGERS, "includeFullUser": true}]}),
            );
            if args.dry_run {
                None
            } else {
                sunco
                    .integrations()
                    .create_custom(&args.name, &target, &SUNCO_TRIGGERS)
                    .await?
                    .webhooks
                    .into_iter()
                    .next()
                    .and_then(|hook| hook.secret)
            }
        }
    };

    println!();
    if args.dry_run {
        println!("Dry run: nothing was changed. A real run prints the two secrets to set.");
        return Ok(());
    }
    let (Some(signing_secret), Some(sunco_secret)) = (signing_secret, sunco_secret) else {
        return Err("Zendesk or SunCo did not return the webhook's secret".into());
    };
    println!("Put these in the bridge-server's environment (they are secrets):");
    println!(
        "ZENDESK_WEBHOOK_SIGNING_SECRET={}",
        signing_secret.expose_secret()
    );
    println!("SUNCO_WEBHOOK_SECRET={}", sunco_secret.expose_secret());
    Ok(())
}

/// The public URL without a trailing slash; it must be http(s) with a host.
fn public_url(url: &str) -> Result<String, Failure> {
    let parsed = url::Url::parse(url).map_err(|error| format!("--url {url:?}: {error}"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err(format!("--url {url:?}: expected https://your-host").into());
    }
    if parsed.scheme() == "http" {
        eprintln!("setup: warning: Zendesk and SunCo will call an http:// URL; use https");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// A webhook request as it is sent, with the password hidden.
fn redacted_webhook(webhook: &NewWebhook) -> Value {
    let mut shown = json!({ "webhook": webhook });
    if let Some(password) = shown.pointer_mut("/webhook/authentication/data/password") {
        *password = Value::String("[redacted]".into());
    }
    shown
}

fn show(method: &str, path: &str, body: &Value) {
    println!("  {method} {path}");
    println!("  {body}");
}
