//! The benchmark's baselines, one Rust Worker built once and run under two configs:
//! - `wrangler.toml` (no bindings): reads the whole request body, as the webhook receiver must
//!   before it can verify a signature, and answers `{"ok":true}`. Whatever Ponte costs above this
//!   is Ponte's own work, not the runtime's.
//! - `wrangler.stored.toml` (a D1 binding): the same, and stores the body with one D1 batch of one
//!   `INSERT` before answering. Storing a webhook cannot cost less than this on the same runtime,
//!   so it tells how much of Ponte's cost is D1's.

use std::cell::OnceCell;

use worker::{event, Context, Env, Method, Request, Response, Result};

const DB: &str = "DB";

thread_local! {
    /// Whether this config binds D1, looked up once per isolate so that the bare baseline's
    /// requests do not pay for a failed binding lookup each.
    static STORES: OnceCell<bool> = const { OnceCell::new() };
}

fn stores(env: &Env) -> bool {
    STORES.with(|stores| *stores.get_or_init(|| env.d1(DB).is_ok()))
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if req.method() != Method::Post {
        return Response::error("method not allowed", 405);
    }
    // Read to the end so the body's transfer is part of what is measured.
    let body = req.bytes().await?;
    if stores(&env) {
        let db = env.d1(DB)?;
        let text = String::from_utf8_lossy(&body);
        let insert = db
            .prepare("INSERT INTO deliveries (body) VALUES (?1)")
            .bind(&[text.as_ref().into()])?;
        db.batch(vec![insert]).await?;
    }
    let mut response = Response::from_bytes(br#"{"ok":true}"#.to_vec())?;
    response
        .headers_mut()
        .set("content-type", "application/json")?;
    Ok(response)
}
