#!/usr/bin/env python3
"""A TLS relay in front of a plaintext broker, for the tests: tansu 0.6.0 does not serve TLS
itself (its --cert and --key flags do nothing).

Each --listen address ends TLS with its own certificate and key, and relays the bytes to the
target; --listen-mutual also requires a client certificate signed by the given CA. The broker
advertises one of the relay's addresses, so that every connection of a client goes through TLS.
--listen-plain relays without TLS: the same hop without encryption, to measure what TLS costs.

    tls_relay.py --target 127.0.0.1:19192 \\
        --listen 127.0.0.1:19193 broker.pem broker.key \\
        --listen-mutual 127.0.0.1:19197 broker.pem broker.key ca.pem

Failed handshakes (a client that does not trust the certificate, a client speaking plaintext)
are logged on stderr, one line each. Standard library only.
"""

import argparse
import asyncio
import socket
import ssl
import sys

CHUNK = 256 * 1024


def address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def server_context(cert, key, client_ca=None):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


def no_delay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def pipe(reader, writer):
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        try:
            writer.close()
        except (ConnectionError, ssl.SSLError, OSError):
            pass


def relay_to(target):
    async def relay(client_reader, client_writer):
        no_delay(client_writer)
        try:
            broker_reader, broker_writer = await asyncio.open_connection(*target)
        except OSError as error:
            print(f"tls_relay: cannot reach {target[0]}:{target[1]}: {error}", file=sys.stderr)
            client_writer.close()
            return
        no_delay(broker_writer)
        await asyncio.gather(
            pipe(client_reader, broker_writer), pipe(broker_reader, client_writer)
        )

    return relay


def log_handshake_errors(loop, context):
    error = context.get("exception")
    if isinstance(error, (ssl.SSLError, ConnectionError, asyncio.TimeoutError)):
        print(f"tls_relay: handshake failed: {error!r}", file=sys.stderr, flush=True)
    else:
        loop.default_exception_handler(context)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=address, required=True, help="host:port of the broker")
    parser.add_argument("--listen", nargs=3, action="append", default=[],
                        metavar=("ADDRESS", "CERT", "KEY"), help="TLS address, its PEM cert and key")
    parser.add_argument("--listen-mutual", nargs=4, action="append", default=[],
                        metavar=("ADDRESS", "CERT", "KEY", "CLIENT_CA"),
                        help="the same, requiring a client certificate signed by CLIENT_CA")
    parser.add_argument("--listen-plain", action="append", default=[], metavar="ADDRESS",
                        help="plaintext address (to compare with TLS through the same relay)")
    args = parser.parse_args()
    asyncio.get_running_loop().set_exception_handler(log_handshake_errors)
    listeners = [(a, server_context(c, k)) for a, c, k in args.listen]
    listeners += [(a, server_context(c, k, ca)) for a, c, k, ca in args.listen_mutual]
    listeners += [(a, None) for a in args.listen_plain]
    servers = []
    for listen, context in listeners:
        host, port = address(listen)
        tls = {"ssl": context, "ssl_handshake_timeout": 10} if context else {}
        servers.append(await asyncio.start_server(relay_to(args.target), host, port, **tls))
        print(f"tls_relay: {listen} -> {args.target[0]}:{args.target[1]}", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
