# The floe runner image: the `floe` binary that seed and verify Jobs run
# (`floe job seed`, `floe job verify`) and that hook steps can use.
#
#   docker build -t ghcr.io/floe-dev/floe:0.1.0 .
#
# The image name is the stack's `runner` field (default ghcr.io/floe-dev/floe:VERSION).

# Build: DuckDB is compiled from its bundled C++ sources, which the full Rust image
# (gcc, g++, make) can do; nothing is downloaded at build time beyond the crates
# that Cargo.lock pins.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --locked --release --bin floe \
    && strip target/release/floe

# Run: a small Debian with CA certificates (for HTTPS catalogs and S3), as user 1000.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 floe \
    && useradd --uid 1000 --gid 1000 --no-create-home --shell /usr/sbin/nologin floe
COPY --from=build /src/target/release/floe /usr/local/bin/floe
USER 1000:1000
ENTRYPOINT ["/usr/local/bin/floe"]
CMD ["--help"]
