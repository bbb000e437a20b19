//! Serves the balances of the postings it was built with. No signal handling: as PID 1's child under
//! tini, SIGTERM's default action ends it.

use std::env;

use tiny_http::{Response, Server};

/// Compiled in from the workspace root.
const POSTINGS: &str = include_str!("../../../postings.csv");

fn main() {
    let port: u16 = env::var("PORT")
        .map_or(Ok(9000), |port| port.parse())
        .expect("PORT is a port number");
    let server = Server::http(("0.0.0.0", port)).expect("the port is free");
    eprintln!("ledger-api listening on {port}");
    let totals = ledger_core::balances(POSTINGS);
    for request in server.incoming_requests() {
        let path = request.url().to_owned();
        let response = if path == "/health/ready" {
            Response::from_string("ready")
        } else if let Some(account) = path.strip_prefix("/balances/") {
            match totals.get(account) {
                Some(total) => Response::from_string(format!(
                    "{account}: {total} (ledger-api {})",
                    env!("CARGO_PKG_VERSION")
                )),
                None => Response::from_string("no such account").with_status_code(404),
            }
        } else {
            Response::from_string("not found").with_status_code(404)
        };
        let _ = request.respond(response);
    }
}
