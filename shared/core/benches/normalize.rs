//! How fast the Meta adapter turns webhook bodies into an `InboundBatch`, against the floor of
//! merely parsing the same bytes into a `serde_json::Value`.
//!
//! `cargo bench -p ponte-core --bench normalize`. Single-threaded, so events/s is per core; an
//! event is one webhook body. Bodies: `tests/fixtures/meta/*.json` plus, when present, the real
//! payloads of the conformance corpus (`../shared/conformance/meta-whatsapp-cloud/`, read in place;
//! `PONTE_CONFORMANCE_DIR` moves the `../shared/conformance` root).
//!
//! Env: `PONTE_BENCH_SECONDS` (minimum seconds per measurement, default 2) and `PONTE_BENCH_OUT`
//! (write the summary there as JSON).

use std::collections::BTreeMap;
use std::error::Error;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ponte_core::providers::meta::parse_webhook;
use serde_json::Value;

/// The channel the fixtures are addressed to (as in `tests/meta_fixtures.rs`).
const FIXTURE_PHONE_NUMBER_ID: &str = "110200340056789";
const RECEIVED_AT_MS: i64 = 1_800_000_000_000;
const WARM_UP: Duration = Duration::from_millis(300);
const DEFAULT_SECONDS_PER_MEASUREMENT: f64 = 2.0;
/// Adapter and floor alternate this many times, so drift (thermal, a noisy neighbour) hits both.
const ROUNDS: usize = 5;

type BenchResult<T> = Result<T, Box<dyn Error>>;

struct WebhookBody {
    bytes: Vec<u8>,
    phone_number_id: String,
}

/// What one pass over every body yields, to show the adapter does real work.
#[derive(Default)]
struct PassOutput {
    messages: usize,
    statuses: usize,
    ignored: usize,
    rejected: usize,
}

struct Rate {
    bodies_per_s: f64,
    mb_per_s: f64,
}

fn main() -> BenchResult<()> {
    let (bodies, sources) = load_bodies()?;
    let total_bytes: usize = bodies.iter().map(|b| b.bytes.len()).sum();
    let output = adapter_output(&bodies);
    let min_time = Duration::from_secs_f64(seconds_per_measurement()?);

    println!("Meta adapter vs serde_json::Value, single thread");
    println!("bodies: {} ({total_bytes} bytes): {sources}", bodies.len());
    println!(
        "per pass: {} messages, {} statuses, {} ignored, {} rejected",
        output.messages, output.statuses, output.ignored, output.rejected
    );

    measure(&bodies, WARM_UP, adapter_pass);
    measure(&bodies, WARM_UP, floor_pass);

    let (mut adapter_rates, mut floor_rates) = (Vec::new(), Vec::new());
    println!();
    println!(
        "{:>6} {:>16} {:>12} {:>16} {:>12} {:>7}",
        "round", "adapter body/s", "adapter MB/s", "floor body/s", "floor MB/s", "ratio"
    );
    for round in 1..=ROUNDS {
        let adapter = measure(&bodies, min_time, adapter_pass);
        let floor = measure(&bodies, min_time, floor_pass);
        print_row(&round.to_string(), &adapter, &floor);
        adapter_rates.push(adapter);
        floor_rates.push(floor);
    }
    let adapter = median(adapter_rates);
    let floor = median(floor_rates);
    print_row("median", &adapter, &floor);

    if let Some(path) = std::env::var_os("PONTE_BENCH_OUT") {
        let summary = serde_json::json!({
            "bodies": bodies.len(),
            "bytes": total_bytes,
            "adapter_events_per_s": adapter.bodies_per_s,
            "floor_events_per_s": floor.bodies_per_s,
            "adapter_mb_per_s": adapter.mb_per_s,
            "floor_mb_per_s": floor.mb_per_s,
            "ratio_to_floor": adapter.bodies_per_s / floor.bodies_per_s,
            "messages_per_pass": output.messages,
            "statuses_per_pass": output.statuses,
        });
        std::fs::write(&path, serde_json::to_vec_pretty(&summary)?)
            .map_err(|e| format!("{}: {e}", Path::new(&path).display()))?;
        println!("wrote {}", Path::new(&path).display());
    }
    Ok(())
}

fn seconds_per_measurement() -> BenchResult<f64> {
    match std::env::var("PONTE_BENCH_SECONDS") {
        Ok(s) => {
            let seconds: f64 = s
                .trim()
                .parse()
                .map_err(|e| format!("PONTE_BENCH_SECONDS={s:?}: {e}"))?;
            if seconds.is_finite() && seconds > 0.0 {
                Ok(seconds)
            } else {
                Err(format!("PONTE_BENCH_SECONDS={s:?} must be a positive number").into())
            }
        }
        Err(_) => Ok(DEFAULT_SECONDS_PER_MEASUREMENT),
    }
}

/// Every body, and a line saying where they came from.
fn load_bodies() -> BenchResult<(Vec<WebhookBody>, String)> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut bodies = fixture_bodies(&manifest_dir.join("../../tests/fixtures/meta"))?;
    let fixtures = bodies.len();
    let corpus_root = std::env::var_os("PONTE_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../../../shared/conformance"));
    let updates = corpus_root.join("meta-whatsapp-cloud/pywa/tests/data/updates");
    let sources = if updates.is_dir() {
        let corpus = corpus_bodies(&updates)?;
        let line = format!(
            "{fixtures} fixtures + {} conformance payloads",
            corpus.len()
        );
        bodies.extend(corpus);
        line
    } else {
        format!(
            "{fixtures} fixtures (no conformance corpus at {})",
            updates.display()
        )
    };
    Ok((bodies, sources))
}

fn sorted_json_files(dir: &Path) -> BenchResult<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The fixtures as they are on disk, byte for byte.
fn fixture_bodies(dir: &Path) -> BenchResult<Vec<WebhookBody>> {
    sorted_json_files(dir)?
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(WebhookBody {
                bytes,
                phone_number_id: FIXTURE_PHONE_NUMBER_ID.to_string(),
            })
        })
        .collect()
}

/// Each corpus file maps a case name to one full webhook body. As in `tests/meta_conformance.rs`,
/// each body is re-serialized compactly (as Meta sends it) and addressed to the phone number
/// its first change names.
fn corpus_bodies(dir: &Path) -> BenchResult<Vec<WebhookBody>> {
    let mut bodies = Vec::new();
    for path in sorted_json_files(dir)? {
        let file = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let cases: BTreeMap<String, Value> =
            serde_json::from_slice(&file).map_err(|e| format!("{}: {e}", path.display()))?;
        for body in cases.into_values() {
            let phone_number_id = body
                .pointer("/entry/0/changes/0/value/metadata/phone_number_id")
                .and_then(Value::as_str)
                .unwrap_or("none")
                .to_string();
            bodies.push(WebhookBody {
                bytes: serde_json::to_vec(&body)?,
                phone_number_id,
            });
        }
    }
    Ok(bodies)
}

fn adapter_output(bodies: &[WebhookBody]) -> PassOutput {
    let mut output = PassOutput::default();
    for body in bodies {
        match parse_webhook(&body.bytes, &body.phone_number_id, RECEIVED_AT_MS) {
            Ok(batch) => {
                output.messages += batch.messages.len();
                output.statuses += batch.statuses.len();
                output.ignored += batch.ignored.len();
            }
            Err(_) => output.rejected += 1,
        }
    }
    output
}

fn adapter_pass(bodies: &[WebhookBody]) {
    for body in bodies {
        let batch = parse_webhook(
            black_box(&body.bytes),
            black_box(&body.phone_number_id),
            RECEIVED_AT_MS,
        );
        black_box(batch).ok();
    }
}

fn floor_pass(bodies: &[WebhookBody]) {
    for body in bodies {
        let value = serde_json::from_slice::<Value>(black_box(&body.bytes));
        black_box(value).ok();
    }
}

/// Whole passes over every body until `min_time` has elapsed.
fn measure(bodies: &[WebhookBody], min_time: Duration, pass: fn(&[WebhookBody])) -> Rate {
    let bytes_per_pass: usize = bodies.iter().map(|b| b.bytes.len()).sum();
    let mut passes = 0u64;
    let start = Instant::now();
    let elapsed = loop {
        pass(bodies);
        passes += 1;
        let elapsed = start.elapsed();
        if elapsed >= min_time {
            break elapsed.as_secs_f64();
        }
    };
    Rate {
        bodies_per_s: (passes as f64 * bodies.len() as f64) / elapsed,
        mb_per_s: (passes as f64 * bytes_per_pass as f64) / elapsed / 1e6,
    }
}

/// The round with the median rate (rates of one measurement share a byte mix, so sorting by
/// bodies/s sorts MB/s too).
fn median(mut rates: Vec<Rate>) -> Rate {
    rates.sort_by(|a, b| a.bodies_per_s.total_cmp(&b.bodies_per_s));
    rates.swap_remove(rates.len() / 2)
}

fn print_row(label: &str, adapter: &Rate, floor: &Rate) {
    println!(
        "{label:>6} {:>16.0} {:>12.1} {:>16.0} {:>12.1} {:>7.2}",
        adapter.bodies_per_s,
        adapter.mb_per_s,
        floor.bodies_per_s,
        floor.mb_per_s,
        adapter.bodies_per_s / floor.bodies_per_s
    );
}
