# The local stand-in for `rust:1-slim-bookworm`, for machines that cannot pull images (the compose
# test here). Built by docker/base.sh from the debootstrapped base, with the host's Rust toolchain
# (rustc, cargo, std) in the build context: no rustup, no download of a toolchain.
ARG BASE_IMAGE=local/debian:bookworm
FROM ${BASE_IMAGE}
# gcc is the linker rustc calls; ca-certificates for cargo's downloads from crates.io.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Extra CAs of the host (e.g. a TLS-inspecting egress proxy), so that cargo can reach crates.io.
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
COPY toolchain/ /usr/local/rust/
ENV PATH=/usr/local/rust/bin:$PATH CARGO_HOME=/usr/local/cargo
RUN rustc --version && cargo --version
