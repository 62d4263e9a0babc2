//! Live lidar packets from a UDP socket (the same decoder as for captures).

use crate::SensorError;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// Receives raw lidar packets (UDP payloads) from a bound socket.
#[derive(Debug)]
pub struct UdpPacketSource {
    socket: UdpSocket,
    buf: Vec<u8>,
}

impl UdpPacketSource {
    /// Binds `addr` (e.g. `0.0.0.0:7502`), waiting at most `timeout` per packet.
    pub fn bind(addr: SocketAddr, timeout: Duration) -> Result<Self, SensorError> {
        let net = |e| SensorError::Network {
            endpoint: addr.to_string(),
            source: e,
        };
        let socket = UdpSocket::bind(addr).map_err(net)?;
        socket.set_read_timeout(Some(timeout)).map_err(net)?;
        Ok(Self {
            socket,
            buf: vec![0; 65_536],
        })
    }

    /// The bound local address (useful after binding port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, SensorError> {
        self.socket.local_addr().map_err(|e| SensorError::Network {
            endpoint: "socket".into(),
            source: e,
        })
    }

    /// Waits for the next datagram and returns its payload; a timeout is a
    /// [`SensorError::Network`] error of kind `WouldBlock`/`TimedOut`.
    pub fn recv(&mut self) -> Result<&[u8], SensorError> {
        let (n, _) = self
            .socket
            .recv_from(&mut self.buf)
            .map_err(|e| SensorError::Network {
                endpoint: self
                    .socket
                    .local_addr()
                    .map_or_else(|_| "socket".into(), |a| a.to_string()),
                source: e,
            })?;
        Ok(&self.buf[..n])
    }
}
