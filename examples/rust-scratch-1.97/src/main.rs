//! The sample service of this project: replace the routes with yours and keep what the image relies on:
//! listen on $PORT, answer GET /healthz with a 2xx, stop on SIGTERM.

use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use std::{env, process, thread};

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

const SERVICE: &str = env!("CARGO_PKG_NAME");
const HEALTH_PATH: &str = "/healthz";
const DEFAULT_PORT: u16 = 8080;
/// In-flight requests get this long after SIGTERM, well within the runtime's stop timeout.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

#[tokio::main]
async fn main() -> ExitCode {
    let port = match listen_port(env::var("PORT").ok().as_deref()) {
        Ok(port) => port,
        Err(error) => {
            log("ERROR", "invalid PORT", json!({ "error": error }));
            return ExitCode::FAILURE;
        }
    };
    match serve(port).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log(
                "ERROR",
                "server failed",
                json!({ "error": format!("{error}") }),
            );
            ExitCode::FAILURE
        }
    }
}

/// $PORT, or the port the project was generated with when it is unset or empty.
fn listen_port(value: Option<&str>) -> Result<u16, String> {
    match value {
        None | Some("") => Ok(DEFAULT_PORT),
        Some(text) => match text.parse() {
            Ok(port) if port != 0 => Ok(port),
            _ => Err(format!("{text:?} is not a port from 1 to 65535")),
        },
    }
}

#[derive(Serialize)]
struct Hello {
    service: &'static str,
    message: &'static str,
}

fn app() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async {
                Json(Hello {
                    service: SERVICE,
                    message: "hello",
                })
            }),
        )
        // Answers 200 while the process serves requests; add checks of what the service cannot work
        // without.
        .route(HEALTH_PATH, get(|| async { "ok" }))
}

/// Serves the app on 0.0.0.0:port until SIGTERM or SIGINT, then lets in-flight requests finish.
async fn serve(port: u16) -> io::Result<()> {
    let listener = TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).await?;
    log("INFO", "listening", json!({ "port": port }));
    axum::serve(listener, app().layer(middleware::from_fn(log_request)))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    log("INFO", "stopped", json!({}));
    Ok(())
}

/// Resolves on SIGTERM (the container runtime's stop) or SIGINT (Ctrl-C), and from then on bounds the
/// wait for in-flight requests: the server stops accepting, finishes them and closes idle connections.
async fn shutdown_signal() {
    let mut terminate = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    let name = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    };
    log("INFO", "shutting down", json!({ "signal": name }));
    // A plain thread, so that it fires even if a handler blocks the async runtime.
    thread::spawn(|| {
        thread::sleep(SHUTDOWN_GRACE);
        log("ERROR", "requests still in flight, exiting", json!({}));
        process::exit(1);
    });
}

/// One line per request: method, path, status and how long the answer took.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    log(
        "INFO",
        "request",
        json!({
            "method": method.as_str(),
            "path": path,
            "status": response.status().as_u16(),
            "ms": started.elapsed().as_secs_f64() * 1000.0,
        }),
    );
    response
}

/// Writes one JSON object per line to stdout, where the container runtime collects it. "ts" is Unix
/// time in seconds, which log collectors read as they read RFC 3339, without a date crate here.
fn log(level: &str, msg: &str, fields: Value) {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64());
    let mut line = json!({ "ts": ts, "level": level, "msg": msg });
    if let (Value::Object(line), Value::Object(fields)) = (&mut line, fields) {
        line.extend(fields);
    }
    // A log line that cannot be written is not worth failing a request for.
    let _ = writeln!(io::stdout().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use axum::body::{self, Body};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    /// Requests path from the service's router and returns the status and body.
    async fn get(path: &str) -> (StatusCode, String) {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let body = body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn health_path_answers_ok() {
        assert_eq!(get(HEALTH_PATH).await, (StatusCode::OK, "ok".to_owned()));
    }

    #[tokio::test]
    async fn root_answers_json() {
        let (status, body) = get("/").await;
        assert_eq!(status, StatusCode::OK);
        let hello: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(hello, json!({ "service": SERVICE, "message": "hello" }));
    }

    #[tokio::test]
    async fn unknown_path_is_not_found() {
        assert_eq!(get("/nope").await.0, StatusCode::NOT_FOUND);
    }

    #[test]
    fn listen_port_prefers_environment() {
        assert_eq!(listen_port(Some("9999")), Ok(9999));
    }

    #[test]
    fn listen_port_defaults_when_unset_or_empty() {
        assert_eq!(listen_port(None), Ok(DEFAULT_PORT));
        assert_eq!(listen_port(Some("")), Ok(DEFAULT_PORT));
    }

    #[test]
    fn listen_port_rejects_what_is_not_a_port() {
        for value in ["http", "-1", "0", "65536", " 8080"] {
            assert!(listen_port(Some(value)).is_err(), "{value:?} was accepted");
        }
    }
}
