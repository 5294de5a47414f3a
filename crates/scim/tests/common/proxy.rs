//! A fault-injecting HTTP proxy on loopback, between the client under test and the real
//! server: plain std TcpListener and a thread per connection. Each request gets a [`Fault`]
//! from the plan: passed through, answered 500 / 429 / 503 without reaching the server, the
//! connection dropped before forwarding, the answer held back past the client's timeout, or
//! the request forwarded (the server commits it) and the answer thrown away.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// 500 with a SCIM error body; the server never sees the request.
    ServerError,
    /// 500 whose detail echoes the request's Authorization header (a careless server).
    EchoAuthorization,
    /// 429 with `Retry-After: seconds`.
    TooManyRequests(u64),
    /// 503, with `Retry-After: seconds` when given.
    Unavailable(Option<u64>),
    /// The connection closed after the request was read, before forwarding: not applied.
    Drop,
    /// Forwarded (the server commits it), then the connection closed without an answer.
    LoseAnswer,
    /// Forwarded, and the answer held back this long (past the client's timeout: the same
    /// as a lost answer, and slower).
    Delay(Duration),
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Pass => "pass",
            Fault::ServerError => "500",
            Fault::EchoAuthorization => "500 echoing the token",
            Fault::TooManyRequests(_) => "429",
            Fault::Unavailable(_) => "503",
            Fault::Drop => "drop",
            Fault::LoseAnswer => "lose answer",
            Fault::Delay(_) => "delay",
        }
    }
}

/// Which fault each request gets.
pub enum Plan {
    /// These faults to the requests matching `when` (a method and a path start, e.g.
    /// `("POST", "/v2/Users")`), one each in order; then everything passes.
    Script {
        when: Option<(&'static str, &'static str)>,
        faults: VecDeque<Fault>,
    },
    /// Each request gets a fault with probability `rate`, drawn evenly from `faults`.
    Random {
        rng: Box<StdRng>,
        rate: f64,
        faults: Vec<Fault>,
    },
}

impl Plan {
    pub fn script(faults: &[Fault]) -> Plan {
        Plan::Script {
            when: None,
            faults: faults.iter().copied().collect(),
        }
    }

    pub fn script_for(method: &'static str, path: &'static str, faults: &[Fault]) -> Plan {
        Plan::Script {
            when: Some((method, path)),
            faults: faults.iter().copied().collect(),
        }
    }

    pub fn random(seed: u64, rate: f64, faults: &[Fault]) -> Plan {
        Plan::Random {
            rng: Box::new(StdRng::seed_from_u64(seed)),
            rate,
            faults: faults.to_vec(),
        }
    }

    fn next(&mut self, method: &str, path: &str) -> Fault {
        match self {
            Plan::Script { when, faults } => {
                let applies = when.is_none_or(|(m, p)| m == method && path.starts_with(p));
                if applies {
                    faults.pop_front().unwrap_or(Fault::Pass)
                } else {
                    Fault::Pass
                }
            }
            Plan::Random { rng, rate, faults } => {
                if rng.gen::<f64>() < *rate {
                    faults[rng.gen_range(0..faults.len())]
                } else {
                    Fault::Pass
                }
            }
        }
    }
}

/// What the proxy did, by fault name, and how many requests reached the server.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub requests: usize,
    pub forwarded: usize,
    pub faults: BTreeMap<&'static str, usize>,
}

pub struct FaultProxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
    accept: Option<JoinHandle<()>>,
}

impl FaultProxy {
    pub fn start(upstream_port: u16, plan: Plan) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let plan = Arc::new(Mutex::new(plan));
        let accept = {
            let (stop, tally) = (stop.clone(), tally.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let (plan, tally) = (plan.clone(), tally.clone());
                    std::thread::spawn(move || serve(stream, upstream_port, &plan, &tally));
                }
            })
        };
        FaultProxy {
            port,
            stop,
            tally,
            accept: Some(accept),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.port)
    }

    pub fn tally(&self) -> Tally {
        self.tally.lock().unwrap().clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accept loop
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// One connection: one request (the server answers HTTP/1.0 and closes, so the client opens
/// a connection per request).
fn serve(mut client: TcpStream, upstream_port: u16, plan: &Mutex<Plan>, tally: &Mutex<Tally>) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let Some(request) = read_request(&mut client) else {
        return;
    };
    let head = String::from_utf8_lossy(&request[..request.len().min(2048)]).into_owned();
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let fault = plan.lock().unwrap().next(method, path);
    {
        let mut tally = tally.lock().unwrap();
        tally.requests += 1;
        if fault != Fault::Pass {
            *tally.faults.entry(fault.name()).or_default() += 1;
        }
    }
    let answer = |client: &mut TcpStream, status: &str, extra: &str, detail: &str| {
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.split(' ').next().unwrap(),
            "detail": detail,
        })
        .to_string();
        let _ = client.write_all(
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/scim+json\r\n{extra}Content-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    };
    match fault {
        Fault::ServerError => answer(
            &mut client,
            "500 Internal Server Error",
            "",
            "injected failure",
        ),
        Fault::EchoAuthorization => {
            let authorization = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                .unwrap_or("")
                .to_owned();
            answer(
                &mut client,
                "500 Internal Server Error",
                "",
                &format!("cannot handle {authorization}"),
            )
        }
        Fault::TooManyRequests(seconds) => answer(
            &mut client,
            "429 Too Many Requests",
            &format!("Retry-After: {seconds}\r\n"),
            "slow down",
        ),
        Fault::Unavailable(seconds) => {
            let extra = seconds
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            answer(
                &mut client,
                "503 Service Unavailable",
                &extra,
                "down for maintenance",
            )
        }
        Fault::Drop => {}
        Fault::Pass | Fault::LoseAnswer | Fault::Delay(_) => {
            let Some(response) = forward(upstream_port, &request) else {
                return;
            };
            tally.lock().unwrap().forwarded += 1;
            match fault {
                Fault::LoseAnswer => {}
                Fault::Delay(d) => {
                    std::thread::sleep(d);
                    let _ = client.write_all(&response);
                }
                _ => {
                    let _ = client.write_all(&response);
                }
            }
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}

/// The request's head and body (by Content-Length); `None` if the client went away.
pub fn read_request(stream: &mut impl Read) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Some(data)
}

/// Sends the request to the server and reads its whole answer (it closes the connection).
pub fn forward(port: u16, request: &[u8]) -> Option<Vec<u8>> {
    let mut upstream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    upstream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    upstream.write_all(request).ok()?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response).ok()?;
    Some(response)
}
