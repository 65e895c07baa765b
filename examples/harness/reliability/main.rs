//! reliability: proves exactly-once under load and faults, end to end, on this machine.
//!
//! Starts stateful fakes of Zendesk and SunCo, two (or more) real `bridge-server` processes
//! sharing one PostgreSQL schema, and plays many customers' conversations through them: a
//! ticket tagged `sunco_send`, then customer replies and agent comments in turn, then solving,
//! then one more reply (which opens a new ticket). Webhooks are delivered the way Zendesk and
//! SunCo deliver them, and worse: a share repeated later, a share sent twice at once, to
//! either server. Scenarios add upstream faults (500, 429, hangs past the timeout, reset
//! connections), `kill -9` of a server at random moments (restarted at once), the servers'
//! database connections ended from the database side, or PostgreSQL stopped and started
//! again (the servers are not restarted: they must reconnect by themselves).
//!
//! At the end every agent comment must be in SunCo exactly once and every customer message in
//! Zendesk exactly once. The report prints what was sent, what failed on purpose, and what
//! arrived; the exit code is 0 only when nothing was lost or duplicated.
//!
//! Needs `TEST_POSTGRES_URL`; `RELIABILITY_SERVER_LOG` sets the servers' `RUST_LOG` (default
//! `warn`; their logs are kept when a run fails). Run:
//! `cargo build --release -p examples --bins && target/release/reliability --help`.

mod fakes;
mod memory;
mod rate_limit;
mod soak;

use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use fakes::Fakes;
use meya_links::PostgresStore;
use meya_links::prelude::*;

const SIGNING_SECRET: &str = "reliability-signing-secret";
const TARGET_PASSWORD: &str = "reliability-target-password";
const SUNCO_SECRET: &str = "reliability-sunco-secret";
/// How long one step may wait for its effect before the run calls it lost.
const STEP_DEADLINE: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Repeated and concurrent deliveries, no faults.
    Duplicates,
    /// Upstream calls fail at `--fault-rate`.
    Faults,
    /// A server is killed with SIGKILL and restarted, `--kills` times.
    Crashes,
    /// One server on SQLite: resident memory idle, then under `--concurrent` webhooks at once.
    Memory,
    /// The servers' PostgreSQL connections are killed from the database side
    /// (`pg_terminate_backend`) at random moments, `--db-kills` times.
    DbKills,
    /// One server on SQLite at a steady `--rate` webhooks/s for `--minutes`, with
    /// `--fault-rate` upstream faults: memory sampled every minute, the inbox purged. Not for
    /// CI.
    Soak,
    /// Zendesk answers every call 429 (`Retry-After: --limited-for`) for `--limited-for`
    /// seconds, from 1 s into the run; its calls per second are printed.
    RateLimit,
    /// The store stalls: the inbox table is locked for `--stall-for` seconds, `--restarts`
    /// times, so that webhooks wait longer than SunCo's 20 s timeout and are sent again
    /// while the first attempt is still waiting to record.
    SlowStore,
    /// PostgreSQL itself is stopped for `--down-for` seconds and started again, `--restarts`
    /// times, while traffic flows: everything on this machine that uses it loses it. Not for
    /// CI.
    DbRestarts,
}

/// Plays conversations through real bridge-server processes and checks exactly-once.
#[derive(Debug, Clone, Parser)]
#[command(name = "reliability")]
struct Args {
    /// What to do to the bridge while traffic flows.
    #[arg(long, value_enum, default_value = "duplicates")]
    scenario: Scenario,
    /// Customers (one ticket each, then one more opened by a reply after solving).
    #[arg(long, default_value_t = 500)]
    tickets: u32,
    /// Customer replies (each followed by an agent comment) per ticket.
    #[arg(long, default_value_t = 6)]
    replies: u32,
    /// bridge-server processes sharing the database.
    #[arg(long, default_value_t = 2)]
    servers: usize,
    /// Share of deliveries repeated a little later.
    #[arg(long, default_value_t = 0.3)]
    repeat_rate: f64,
    /// Share of deliveries sent twice at once (to two servers).
    #[arg(long, default_value_t = 0.1)]
    concurrent_rate: f64,
    /// Share of upstream calls that fail (scenario `faults`).
    #[arg(long, default_value_t = 0.2)]
    fault_rate: f64,
    /// SIGKILLs (scenario `crashes`).
    #[arg(long, default_value_t = 100)]
    kills: u32,
    /// Server-side kills of the servers' database connections (scenario `db-kills`).
    #[arg(long, default_value_t = 50)]
    db_kills: u32,
    /// PostgreSQL restarts (scenario `db-restarts`), or stalls (scenario `slow-store`).
    #[arg(long, default_value_t = 3)]
    restarts: u32,
    /// How long PostgreSQL stays down each time, in seconds: past the store's 10 s wait for a
    /// connection, webhooks are answered 5xx.
    #[arg(long, default_value_t = 12)]
    down_for: u64,
    /// How long the inbox stays locked each time (scenario `slow-store`), in seconds.
    #[arg(long, default_value_t = 25)]
    stall_for: u64,
    /// How PostgreSQL is stopped (scenario `db-restarts`), run with `sh -c`.
    #[arg(
        long,
        default_value = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n 1) main stop"
    )]
    stop_command: String,
    /// How PostgreSQL is started again.
    #[arg(
        long,
        default_value = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n 1) main start"
    )]
    start_command: String,
    /// How long the soak lasts, in minutes (scenario `soak`).
    #[arg(long, default_value_t = 30)]
    minutes: u32,
    /// Webhooks a second during the soak.
    #[arg(long, default_value_t = 50)]
    rate: u32,
    /// How long Zendesk's rate limit lasts, in seconds (scenario `rate-limit`).
    #[arg(long, default_value_t = 60)]
    limited_for: u64,
    /// Customers played at once.
    #[arg(long, default_value_t = 100)]
    parallel: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Webhooks in flight at once (scenario `memory`), in waves until `--tickets` are sent.
    #[arg(long, default_value_t = 200)]
    concurrent: usize,
    /// The bridge-server binary (default: beside this one).
    #[arg(long)]
    server_binary: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("reliability: {error}");
            ExitCode::FAILURE
        }
    }
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The running servers' addresses; `None` while one is down.
struct Servers {
    binary: PathBuf,
    env: Vec<(String, String)>,
    dir: PathBuf,
    addresses: RwLock<Vec<Option<String>>>,
    children: Mutex<Vec<Option<Child>>>,
    starts: AtomicU64,
}

impl Servers {
    /// `count` servers of `binary`, not started yet, with `env`, logging into `dir`.
    fn new(binary: PathBuf, env: Vec<(String, String)>, dir: PathBuf, count: usize) -> Self {
        Self {
            binary,
            env,
            dir,
            addresses: RwLock::new(vec![None; count]),
            children: Mutex::new((0..count).map(|_| None).collect()),
            starts: AtomicU64::new(0),
        }
    }

    fn start(&self, index: usize) -> Result<(), Failure> {
        let number = self.starts.fetch_add(1, Ordering::Relaxed);
        let log = std::fs::File::create(self.dir.join(format!("server-{index}-{number}.log")))?;
        let mut child = Command::new(&self.binary)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let address = line
            .trim()
            .strip_prefix("bridge-server listening on ")
            .ok_or_else(|| format!("bridge-server did not start: {line:?}"))?
            .to_owned();
        lock(&self.children)[index] = Some(child);
        self.addresses
            .write()
            .unwrap_or_else(PoisonError::into_inner)[index] = Some(address);
        Ok(())
    }

    /// The process id of server `index`, while it runs.
    fn pid(&self, index: usize) -> Option<u32> {
        lock(&self.children)
            .get(index)?
            .as_ref()
            .map(std::process::Child::id)
    }

    /// SIGKILL: no shutdown, no cleanup, whatever it was doing.
    fn kill(&self, index: usize) {
        self.addresses
            .write()
            .unwrap_or_else(PoisonError::into_inner)[index] = None;
        if let Some(mut child) = lock(&self.children)[index].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn live(&self) -> Vec<String> {
        self.addresses
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flatten()
            .cloned()
            .collect()
    }

    fn stop_all(&self) {
        let count = lock(&self.children).len();
        for index in 0..count {
            self.kill(index);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One webhook as sent: where, headers, body.
#[derive(Clone)]
struct Delivery {
    path: &'static str,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

struct Driver {
    servers: Arc<Servers>,
    fakes: Arc<Fakes>,
    http: reqwest::Client,
    args: Args,
    deliveries: AtomicU64,
    /// Deliveries a server answered with a 5xx (the store away, an upstream fault): the
    /// sender sends them again.
    refused: AtomicU64,
    /// Deliveries no server answered in time (or at all: a killed server): sent again.
    unanswered: AtomicU64,
    events: AtomicU64,
    rng: Mutex<fastrand::Rng>,
    /// Spaces deliveries out to a steady rate (scenario `soak`).
    pacer: Option<tokio::sync::Mutex<tokio::time::Interval>>,
}

impl Driver {
    fn new(
        servers: &Arc<Servers>,
        fakes: &Arc<Fakes>,
        http: reqwest::Client,
        args: Args,
        pacer: Option<tokio::time::Interval>,
    ) -> Self {
        Self {
            servers: Arc::clone(servers),
            fakes: Arc::clone(fakes),
            http,
            rng: Mutex::new(fastrand::Rng::with_seed(args.seed)),
            deliveries: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            unanswered: AtomicU64::new(0),
            events: AtomicU64::new(0),
            pacer: pacer.map(tokio::sync::Mutex::new),
            args,
        }
    }

    fn chance(&self, rate: f64) -> bool {
        lock(&self.rng).f64() < rate
    }

    /// Sends until a server answers 200 (a killed server's requests go to another).
    async fn send_once(&self, delivery: &Delivery) {
        let mut attempt = 0u32;
        loop {
            if let Some(pacer) = &self.pacer {
                pacer.lock().await.tick().await;
            }
            let live = self.servers.live();
            if !live.is_empty() {
                let base = &live[lock(&self.rng).usize(0..live.len())];
                let request = self
                    .http
                    .post(format!("{base}{}", delivery.path))
                    .headers(delivery.headers.clone())
                    .body(delivery.body.clone());
                self.deliveries.fetch_add(1, Ordering::Relaxed);
                let answer = request.send().await;
                match &answer {
                    Ok(answer) if answer.status().is_server_error() => {
                        self.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => {
                        self.unanswered.fetch_add(1, Ordering::Relaxed);
                    }
                }
                match answer {
                    Ok(answer) if answer.status().is_success() => return,
                    // A refusal is a bug in this harness, not a fault to ride out.
                    Ok(answer) if answer.status().is_client_error() => {
                        eprintln!(
                            "{} refused: {} {}",
                            delivery.path,
                            answer.status(),
                            answer.text().await.unwrap_or_default()
                        );
                        return;
                    }
                    Ok(answer) if attempt == 5 => {
                        eprintln!("{} answered {}", delivery.path, answer.status());
                    }
                    Err(error) if attempt == 5 => eprintln!("{} failed: {error}", delivery.path),
                    _ => {}
                }
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt.min(10)))).await;
        }
    }

    /// Delivers one event as the senders would, with repeats and concurrent doubles.
    async fn deliver(self: &Arc<Self>, delivery: Delivery) {
        self.events.fetch_add(1, Ordering::Relaxed);
        if self.chance(self.args.concurrent_rate) {
            tokio::join!(self.send_once(&delivery), self.send_once(&delivery));
        } else {
            self.send_once(&delivery).await;
        }
        if self.chance(self.args.repeat_rate) {
            let driver = Arc::clone(self);
            let delay = lock(&self.rng).u64(0..300);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                driver.send_once(&delivery).await;
            });
        }
    }

    /// Waits for `done` to hold; false after the step deadline.
    async fn wait_for(&self, mut done: impl FnMut(&Fakes) -> bool) -> bool {
        let deadline = Instant::now() + STEP_DEADLINE;
        while Instant::now() < deadline {
            if done(&self.fakes) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        false
    }

    /// One customer's whole story; answers how many steps timed out.
    async fn play(self: Arc<Self>, t: u32) -> u32 {
        let mut lost = 0;
        let (ticket, first) = self.fakes.open_ticket(t, &format!("agent {t} says hello"));
        self.deliver(self.fakes.ticket_webhook(ticket)).await;
        if !self.wait_for(|fakes| fakes.delivered(t, first)).await {
            lost += 1;
        }
        for n in 1..=self.args.replies {
            let text = reply_text(t, n);
            self.deliver(self.fakes.customer_message(t, &text)).await;
            if !self.wait_for(|fakes| fakes.reply_count(t, &text) > 0).await {
                lost += 1;
            }
            let comment = self
                .fakes
                .agent_comment(ticket, &format!("agent {t} answers {n}"));
            self.deliver(self.fakes.ticket_webhook(ticket)).await;
            if !self.wait_for(|fakes| fakes.delivered(t, comment)).await {
                lost += 1;
            }
        }
        self.fakes.solve(ticket);
        self.deliver(self.fakes.ticket_webhook(ticket)).await;
        // The customer writes again later: a new ticket (or, if it overtook the solve, one
        // more comment on the old one). Either way, once.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let last = self.args.replies + 1;
        let text = reply_text(t, last);
        self.deliver(self.fakes.customer_message(t, &text)).await;
        if !self.wait_for(|fakes| fakes.reply_count(t, &text) > 0).await {
            lost += 1;
        }
        lost
    }
}

fn reply_text(t: u32, n: u32) -> String {
    format!("customer {t} reply {n}")
}

/// The bridge-server binary: `--server-binary`, else the one beside this binary.
fn server_binary(args: &Args) -> Result<PathBuf, Failure> {
    Ok(match &args.server_binary {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("no directory")?
            .join("bridge-server"),
    })
}

/// The servers' environment: the fakes, the store, short timeouts and leases (in a settings
/// file written to `dir`).
fn server_env(
    fakes: &Fakes,
    store_url: &str,
    dir: &std::path::Path,
) -> Result<Vec<(String, String)>, Failure> {
    let settings = dir.join("bridge.toml");
    std::fs::write(
        &settings,
        // Before the seed: its last lines are a table.
        format!(
            "api_timeout = \"500ms\"\nclaim_lease = \"10s\"\n{}",
            zendesk_sunco_bridge::config::SEED_TOML
        ),
    )?;
    Ok([
        ("ZENDESK_BASE_URL", fakes.zendesk.url()),
        ("ZENDESK_BOT_AGENT_EMAIL", "bot@acme.test"),
        ("ZENDESK_BOT_AGENT_API_TOKEN", "zd-token"),
        ("ZENDESK_TARGET_PASSWORD", TARGET_PASSWORD),
        ("ZENDESK_WEBHOOK_SIGNING_SECRET", SIGNING_SECRET),
        ("SUNCO_APP_ID", "app_1"),
        ("SUNCO_KEY_ID", "app_key"),
        ("SUNCO_KEY_SECRET", "key-secret"),
        ("SUNCO_WEBHOOK_SECRET", SUNCO_SECRET),
        ("SUNCO_BASE_URL", fakes.sunco.url()),
        ("LINK_STORE_URL", store_url),
        ("BRIDGE_CONFIG", &settings.display().to_string()),
        ("BIND", "127.0.0.1:0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([(
        "RUST_LOG".to_owned(),
        std::env::var("RELIABILITY_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
    )])
    .collect())
}

async fn run(args: Args) -> Result<bool, Failure> {
    if args.scenario == Scenario::Memory {
        return memory::run(args).await;
    }
    if args.scenario == Scenario::Soak {
        return soak::run(args).await;
    }
    let started = Instant::now();
    let pg_url = std::env::var("TEST_POSTGRES_URL")
        .map_err(|_| "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test)")?;
    let schema = format!("reliability_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&pg_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await?;
    let separator = if pg_url.contains('?') { '&' } else { '?' };
    // The servers' connections carry the schema's name, so that `db-kills` ends theirs only.
    let store_url =
        format!("{pg_url}{separator}options=-c%20search_path%3D{schema}&application_name={schema}");

    let fault_rate = if args.scenario == Scenario::Faults {
        args.fault_rate
    } else {
        0.0
    };
    let fakes = Arc::new(
        Fakes::start(
            args.tickets,
            fault_rate,
            Duration::from_millis(1500),
            args.seed,
        )
        .await?,
    );
    let dir = tempfile::tempdir()?;
    let env = server_env(&fakes, &store_url, dir.path())?;
    let servers = Arc::new(Servers::new(
        server_binary(&args)?,
        env,
        dir.path().to_path_buf(),
        args.servers,
    ));
    for index in 0..args.servers {
        servers.start(index)?;
    }
    println!(
        "{:?}: {} customers, {} replies each, {} servers on one PostgreSQL schema",
        args.scenario, args.tickets, args.replies, args.servers
    );

    // As long as SunCo waits for an answer (Zendesk waits 12 s).
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?;
    let driver = Arc::new(Driver::new(&servers, &fakes, http, args, None));
    let stop_sampling = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rate_limit = (driver.args.scenario == Scenario::RateLimit).then(|| {
        rate_limit::run(
            &fakes,
            Duration::from_secs(1),
            Duration::from_secs(driver.args.limited_for),
            Arc::clone(&stop_sampling),
        )
    });
    let database_faults = Arc::new(AtomicU64::new(0));
    let database_faulter = database_faults_loop(&driver.args, &admin, &schema, &database_faults);

    // The crash loop: kill a random server, restart it, repeat, while traffic flows.
    let kills = Arc::new(AtomicU64::new(0));
    let crasher = (driver.args.scenario == Scenario::Crashes).then(|| {
        let servers = Arc::clone(&servers);
        let kills = Arc::clone(&kills);
        let total = driver.args.kills;
        let count = driver.args.servers;
        let seed = driver.args.seed;
        tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);
            for _ in 0..total {
                tokio::time::sleep(Duration::from_millis(rng.u64(50..400))).await;
                let index = rng.usize(0..count);
                servers.kill(index);
                kills.fetch_add(1, Ordering::Relaxed);
                let servers = Arc::clone(&servers);
                let restarted = tokio::task::spawn_blocking(move || servers.start(index)).await;
                if !matches!(restarted, Ok(Ok(()))) {
                    eprintln!("could not restart server {index}: {restarted:?}");
                }
            }
        })
    });

    let semaphore = Arc::new(tokio::sync::Semaphore::new(driver.args.parallel.max(1)));
    let mut customers = tokio::task::JoinSet::new();
    for t in 0..driver.args.tickets {
        let driver = Arc::clone(&driver);
        let semaphore = Arc::clone(&semaphore);
        customers.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            driver.play(t).await
        });
    }
    let mut timed_out_steps = 0;
    while let Some(joined) = customers.join_next().await {
        timed_out_steps += joined.unwrap_or(1);
    }
    if let Some(crasher) = crasher {
        let _ = crasher.await;
    }
    if let Some(faulter) = database_faulter {
        let _ = faulter.await;
    }
    let traffic = started.elapsed();
    // Late repeats still in flight, retries due, batches a killed server left behind: wait
    // (bounded) for the inbox to drain before counting.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let store = PostgresStore::connect(&store_url).await?;
    let settle_by = Instant::now() + Duration::from_secs(120);
    let mut inbox = store.inbox_stats().await?;
    while inbox.unfinished() > 0 && Instant::now() < settle_by {
        tokio::time::sleep(Duration::from_millis(250)).await;
        inbox = store.inbox_stats().await?;
    }
    let report = check(&driver, driver.args.tickets);
    stop_sampling.store(true, Ordering::Relaxed);
    // bridge-server's default WORKER_CONCURRENCY.
    let rate_limit_kept = match rate_limit {
        Some(rate_limit) => rate_limit::report(&rate_limit.await?, driver.args.servers, 16),
        None => true,
    };
    servers.stop_all();
    let counts = fakes.counts();
    println!(
        "events {} deliveries {} ({:.0} deliveries/s) in {:.1} s",
        driver.events.load(Ordering::Relaxed),
        driver.deliveries.load(Ordering::Relaxed),
        driver.deliveries.load(Ordering::Relaxed) as f64 / traffic.as_secs_f64(),
        traffic.as_secs_f64()
    );
    println!(
        "upstream calls {}: injected 500 {}, 429 {}, hang {}, reset {}; kills {}",
        counts.calls,
        counts.refused,
        counts.rate_limited,
        counts.hung,
        counts.reset,
        kills.load(Ordering::Relaxed),
    );
    // One count, of whatever this scenario did to the database.
    let faults = database_faults.load(Ordering::Relaxed);
    let of = |scenario| {
        if driver.args.scenario == scenario {
            faults
        } else {
            0
        }
    };
    println!(
        "database: {} connections killed, {} restarts, {} stalls; webhooks answered 5xx {}, unanswered {} (each sent again)",
        of(Scenario::DbKills),
        of(Scenario::DbRestarts),
        of(Scenario::SlowStore),
        driver.refused.load(Ordering::Relaxed),
        driver.unanswered.load(Ordering::Relaxed),
    );
    println!(
        "agent comments: {} expected, {} delivered once, {} lost, {} duplicated",
        report.comments, report.comments_once, report.comments_lost, report.comments_duplicated
    );
    println!(
        "customer messages: {} expected, {} arrived once, {} lost, {} duplicated",
        report.replies, report.replies_once, report.replies_lost, report.replies_duplicated
    );
    println!(
        "inbox: {} done, {} failed, {} unfinished; steps past their deadline: {timed_out_steps}",
        inbox.done,
        inbox.failed,
        inbox.unfinished()
    );
    let ok = rate_limit_kept
        && report.comments_lost == 0
        && report.comments_duplicated == 0
        && report.replies_lost == 0
        && report.replies_duplicated == 0;
    println!(
        "{}",
        if ok {
            "EXACTLY ONCE: PASS"
        } else {
            "EXACTLY ONCE: FAIL"
        }
    );
    if !ok {
        println!("server logs kept in {}", dir.keep().display());
    } else {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&admin)
            .await;
    }
    Ok(ok)
}

/// The database fault loop of scenarios `db-kills` and `db-restarts`, counting into `faults`:
/// each turn waits a random moment, then ends every connection the servers hold (their
/// `application_name` is `schema`) or restarts PostgreSQL.
fn database_faults_loop(
    args: &Args,
    admin: &sqlx::PgPool,
    schema: &str,
    faults: &Arc<AtomicU64>,
) -> Option<tokio::task::JoinHandle<()>> {
    let (admin, schema, faults) = (admin.clone(), schema.to_owned(), Arc::clone(faults));
    let seed = args.seed ^ 0xdb;
    match args.scenario {
        Scenario::DbKills => {
            let total = args.db_kills;
            Some(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(seed);
                for _ in 0..total {
                    tokio::time::sleep(Duration::from_millis(rng.u64(50..400))).await;
                    let ended: Result<Vec<bool>, _> = sqlx::query_scalar(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = $1 AND pid <> pg_backend_pid()",
                    )
                    .bind(&schema)
                    .fetch_all(&admin)
                    .await;
                    match ended {
                        Ok(ended) => {
                            let count = ended.into_iter().filter(|ended| *ended).count();
                            faults.fetch_add(count as u64, Ordering::Relaxed);
                        }
                        Err(error) => eprintln!("pg_terminate_backend failed: {error}"),
                    }
                }
            }))
        }
        Scenario::DbRestarts => {
            let total = args.restarts;
            let down_for = Duration::from_secs(args.down_for);
            let (stop, start) = (args.stop_command.clone(), args.start_command.clone());
            Some(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(seed);
                for _ in 0..total {
                    tokio::time::sleep(Duration::from_millis(rng.u64(500..2_000))).await;
                    if shell(&stop).await {
                        tokio::time::sleep(down_for).await;
                    }
                    // Started again whatever the stop did: the run must end with a database.
                    if shell(&start).await {
                        faults.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }))
        }
        Scenario::SlowStore => {
            let (total, stall_for) = (args.restarts, Duration::from_secs(args.stall_for));
            Some(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(seed);
                for _ in 0..total {
                    tokio::time::sleep(Duration::from_millis(rng.u64(500..2_000))).await;
                    match stall(&admin, &schema, stall_for).await {
                        Ok(()) => {
                            faults.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => eprintln!("could not stall the inbox: {error}"),
                    }
                }
            }))
        }
        _ => None,
    }
}

/// Holds a lock on the schema's inbox that lets reads through and makes every write wait,
/// for `stall_for`.
async fn stall(admin: &sqlx::PgPool, schema: &str, stall_for: Duration) -> Result<(), sqlx::Error> {
    let mut transaction = admin.begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {schema}.inbox IN SHARE ROW EXCLUSIVE MODE"
    )))
    .execute(&mut *transaction)
    .await?;
    tokio::time::sleep(stall_for).await;
    transaction.commit().await
}

/// Runs `command` with `sh -c`; answers whether it succeeded (saying why not).
async fn shell(command: &str) -> bool {
    let command = command.to_owned();
    let ran =
        tokio::task::spawn_blocking(move || Command::new("sh").arg("-c").arg(&command).status())
            .await;
    match ran {
        Ok(Ok(status)) if status.success() => true,
        other => {
            eprintln!("a database command failed: {other:?}");
            false
        }
    }
}

#[derive(Debug, Default)]
struct Report {
    comments: usize,
    comments_once: usize,
    comments_lost: usize,
    comments_duplicated: usize,
    replies: usize,
    replies_once: usize,
    replies_lost: usize,
    replies_duplicated: usize,
}

/// Counts every agent comment in SunCo and every customer message in Zendesk, of the first
/// `customers` customers.
fn check(driver: &Driver, customers: u32) -> Report {
    let fakes = &driver.fakes;
    let mut report = Report::default();
    for t in 0..customers {
        let sent = fakes.sent_to(t);
        for comment in fakes.agent_comments(t) {
            report.comments += 1;
            match sent.get(&format!("{comment}/0")).copied().unwrap_or(0) {
                0 => report.comments_lost += 1,
                1 => report.comments_once += 1,
                _ => report.comments_duplicated += 1,
            }
        }
        for n in 1..=driver.args.replies + 1 {
            report.replies += 1;
            match fakes.reply_count(t, &reply_text(t, n)) {
                0 => report.replies_lost += 1,
                1 => report.replies_once += 1,
                _ => report.replies_duplicated += 1,
            }
        }
    }
    report
}
