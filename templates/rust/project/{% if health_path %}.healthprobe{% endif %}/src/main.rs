//! healthprobe is the image's HEALTHCHECK: it asks the service on 127.0.0.1:$PORT (or on the port given
//! after the path) for the path given as its argument, and exits 0 on any 2xx answer and 1 otherwise. It
//! speaks just enough HTTP/1.0 to do that with the standard library alone, so it stays small and needs no
//! shell and no curl in the image.

use std::env;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

/// Well under the HEALTHCHECK's own timeout, so that a hung service reads as unhealthy, not as a
/// probe that never finished.
const TIMEOUT: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let args: Option<Vec<String>> = env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect();
    let (path, port) = match args.as_deref() {
        Some([path]) if path.starts_with('/') => (path, env::var("PORT").unwrap_or_default()),
        Some([path, port]) if path.starts_with('/') => (path, port.clone()),
        _ => {
            eprintln!("usage: healthprobe /path [port]");
            return ExitCode::from(2);
        }
    };
    match probe(&port, path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("unhealthy: {error}");
            ExitCode::FAILURE
        }
    }
}

fn probe(port: &str, path: &str) -> io::Result<()> {
    let port: u16 = port
        .parse()
        .map_err(|_| io::Error::other(format!("invalid port {port:?}")))?;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {address}\r\nUser-Agent: healthprobe\r\n\r\n"
    )?;
    let mut status = String::new();
    BufReader::new(stream)
        .read_line(&mut status)
        .map_err(|error| match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                io::Error::other(format!("no answer within {TIMEOUT:?}"))
            }
            _ => error,
        })?;
    // e.g. "HTTP/1.1 204 No Content\r\n": any 2xx is healthy; a line cut short by a close is not.
    let mut fields = status.split_whitespace();
    match (fields.next(), fields.next()) {
        (Some(version), Some(code))
            if status.ends_with('\n')
                && version.starts_with("HTTP/")
                && code.len() == 3
                && code.starts_with('2') =>
        {
            Ok(())
        }
        _ => Err(io::Error::other(format!("answered {:?}", status.trim()))),
    }
}
