//! A TCP proxy that breaks the network on demand, between the services and a broker that
//! advertises the proxy's address (`scripts/broker.sh start tansu-chaos`): added latency, a
//! stall (bytes held, then delivered), a black hole (bytes dropped, connections left hanging),
//! and connection resets.
//!
//! Each connection is two threads, one per direction, copying chunks; before passing a chunk
//! on, a thread looks at the current [`Fault`]. Standard library only, plus `socket2` for the
//! resets (an RST rather than a FIN, as a broken network path or a crashed host gives).

use std::{
    io::{Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Condvar, Mutex,
    },
    thread,
    time::Duration,
};

/// What the proxy does to the bytes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passes them on at once.
    None,
    /// Passes each chunk on after this long.
    Latency(Duration),
    /// Holds them (new connections too) until the fault changes, then passes them on.
    Stall,
    /// Drops them, and holds new connections; when it ends, the connections it hit are reset,
    /// as their peers would find out through their timeouts.
    BlackHole,
}

/// What the threads share: the fault, the live connections (to reset them), and whether the
/// proxy was dropped.
struct Shared {
    fault: Mutex<Fault>,
    changed: Condvar,
    connections: Mutex<Vec<TcpStream>>,
    stopped: AtomicBool,
}

/// A running proxy; dropping it closes its port and resets its connections.
pub struct FaultProxy {
    address: String,
    shared: Arc<Shared>,
}

const CHUNK: usize = 64 * 1024;

impl FaultProxy {
    /// Listens on `listen` (`host:port`) and forwards every connection to `target`.
    pub fn start(listen: &str, target: &str) -> FaultProxy {
        let listener = TcpListener::bind(listen)
            .unwrap_or_else(|e| panic!("the fault proxy cannot listen on {listen}: {e}"));
        let shared = Arc::new(Shared {
            fault: Mutex::new(Fault::None),
            changed: Condvar::new(),
            connections: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
        });
        let target: SocketAddr = target.parse().expect("a host:port target");
        let accepting = Arc::clone(&shared);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if accepting.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let shared = Arc::clone(&accepting);
                thread::spawn(move || connect(client, target, &shared));
            }
        });
        FaultProxy {
            address: listen.to_string(),
            shared,
        }
    }

    /// The address the proxy listens on.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Applies `fault` from now on. Ending a black hole resets the connections it hit.
    pub fn set(&self, fault: Fault) {
        let before = std::mem::replace(&mut *lock(&self.shared.fault), fault);
        self.shared.changed.notify_all();
        if before == Fault::BlackHole && fault != Fault::BlackHole {
            self.reset_connections();
        }
    }

    /// Resets every live connection (RST): each client sees its connection broken.
    pub fn reset_connections(&self) {
        for connection in lock(&self.shared.connections).drain(..) {
            let socket = socket2::SockRef::from(&connection);
            let _ = socket.set_linger(Some(Duration::ZERO));
            let _ = connection.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.set(Fault::None);
        // Wakes the accepting thread, which then sees the flag and drops the listener.
        let _ = TcpStream::connect(&self.address);
        self.reset_connections();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits while the fault holds connections; returns the fault then in force.
fn wait_while_held(shared: &Shared) -> Fault {
    let mut fault = lock(&shared.fault);
    while matches!(*fault, Fault::Stall | Fault::BlackHole) {
        fault = shared
            .changed
            .wait(fault)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
    *fault
}

/// Opens the connection to `target` for `client` (once no fault holds new connections) and
/// copies both ways.
fn connect(client: TcpStream, target: SocketAddr, shared: &Arc<Shared>) {
    wait_while_held(shared);
    let Ok(server) = TcpStream::connect_timeout(&target, Duration::from_secs(5)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    for stream in [&client, &server] {
        let _ = stream.set_nodelay(true);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.connections).push(clone);
        }
    }
    let (Ok(client_reader), Ok(server_reader)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let upstream = Arc::clone(shared);
    thread::spawn(move || copy(client_reader, server, &upstream));
    copy(server_reader, client, shared);
}

/// Copies `from` to `to` under the faults, until either side closes.
fn copy(mut from: TcpStream, mut to: TcpStream, shared: &Shared) {
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let dropped = *lock(&shared.fault) == Fault::BlackHole;
        match wait_while_held(shared) {
            _ if dropped => continue,
            Fault::Latency(delay) => thread::sleep(delay),
            _ => {}
        }
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
