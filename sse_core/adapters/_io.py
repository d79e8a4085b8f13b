"""What the adapters' socket code shares."""

import socket
import time

__all__ = ["READ_SIZE", "LINGER", "close_gracefully"]

# One recv's worth: 64 KiB holds many events yet keeps each read's copy
# small, and it is what a loopback or LAN socket hands over at once.
READ_SIZE = 65536

# How long a server keeps reading, and dropping, what a client still sends
# after the server is done with the connection. Apache lingers 2 s as well:
# a client that is still sending (a body after a refusal, a pipelined
# request) has its bytes in flight by then.
LINGER = 2.0


def close_gracefully(sock: socket.socket, linger: float = LINGER) -> None:
    """Close a server's connection without destroying the response in flight.

    Closing a socket with unread bytes makes the kernel reset the
    connection, and a reset discards what the client had not read yet: a
    refusal, or the end of a stream. So the sending side is shut down first
    (the client sees the end), then whatever the client still sends is read
    and dropped until it closes, for at most ``linger`` seconds (RFC 9112
    section 9.6).
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + linger
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            if not sock.recv(READ_SIZE):
                break
    except OSError:  # reset, not connected, or the linger ran out
        pass
    finally:
        sock.close()
