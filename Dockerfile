# heatdesk as a container image: built with the Rust image, run on Debian slim as a
# non-root user. Build from the repository root:
#   docker build -t heatdesk .
# The database (SQLite by default) lives in the volume /var/lib/heatdesk; point
# HEATDESK_DATABASE_URL at PostgreSQL to run several instances (deploy/compose.yaml).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep crates and compiled dependencies between builds; the binary is copied out
# of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p heatdesk --bin heatdesk \
    && cp target/release/heatdesk /usr/local/bin/heatdesk

FROM debian:bookworm-slim
# curl for the health check only. Debian's versions are not pinned: a security update must
# not break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 heatdesk \
    && useradd --system --uid 10001 --gid heatdesk --home-dir /var/lib/heatdesk --shell /usr/sbin/nologin heatdesk \
    && mkdir -p /var/lib/heatdesk \
    && chown heatdesk:heatdesk /var/lib/heatdesk
COPY --from=build /usr/local/bin/heatdesk /usr/local/bin/heatdesk
# The data heatdesk reads at start: intents, the seed phrasebook, locales, and the held-out
# questions the office's regression gate runs.
WORKDIR /usr/share/heatdesk
COPY intents intents
COPY phrasebook phrasebook
COPY locales locales
COPY tests/data/eval.tsv labelled/eval.tsv
ENV HEATDESK_LISTEN=0.0.0.0:8080 \
    HEATDESK_DATABASE_URL=sqlite:///var/lib/heatdesk/heatdesk.db \
    HEATDESK_OFFICE_LABELLED_FILE=/usr/share/heatdesk/labelled/eval.tsv
# By number, so that platforms refusing root images can see it is not root.
USER 10001:10001
VOLUME ["/var/lib/heatdesk"]
EXPOSE 8080
# Alive, not ready: /readyz is for load balancers (it turns 503 while an instance drains).
# The port follows HEATDESK_LISTEN's default above.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["sh", "-c", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"]
# SIGTERM: no new connections, requests in flight finish (20 s at most), then it exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["heatdesk"]
CMD ["serve"]
