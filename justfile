# Kafka event pipeline: producer → Kafka → consumer group + verifier. `just --list` shows all.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Unit tests, then end-to-end tests against tansu and librdkafka's mock cluster (installs what is missing).
test:
    scripts/test.sh

# Faults on purpose, then one verdict table: consumers killed/scaled/frozen (ours, then librdkafka's on tansu), leaders and coordinator moved, broker errors, tansu crashed, network broken (docs/chaos.md). --full, --soak, --json.
chaos *ARGS:
    scripts/chaos.sh {{ARGS}}

# Formatting, lints and doc links, as CI runs them.
lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --quiet

# Install the local brokers and tools (tansu takes ~11 minutes to build the first time).
install:
    scripts/install.sh

# The whole pipeline without Docker: local broker, producer, two consumers, verifier.
demo:
    scripts/demo.sh

# The same over SASL_SSL: SCRAM-SHA-512 through TLS, every service configured by one client.properties.
demo-secure:
    scripts/demo.sh --secure

# Smoke-test your cluster end to end with its client.properties: a topic and group of its own, produce, consume, verify, delete (docs/connecting.md).
smoke CONFIG *ARGS:
    cargo build --release --quiet --bin smoke
    target/release/smoke --config {{CONFIG}} {{ARGS}}

# Compose v2 plugin when present, else docker-compose v1 (1.29 runs compose.yaml too).
compose := `docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose`

# The pipeline in containers, in the background: Kafka, producer, 2 consumers, verifier (`just logs` to watch).
up:
    {{compose}} up --build -d

# Stop and remove the containers (consumers print their summary and leave the group); the Kafka volume stays.
down:
    {{compose}} down

# Run N consumer replicas (the producer and verifier are not started again).
scale N:
    {{compose}} up -d --no-deps --scale consumer={{N}} consumer

# Follow the logs of every service.
logs:
    {{compose}} logs -f

# Run the verifier again, alone (exit 0: 100% arrived).
verify:
    {{compose}} run --rm --no-deps verifier

# Syntax check of compose.yaml (CI).
compose-check:
    scripts/compose-check.sh

# The real compose.yaml on this Docker engine with tansu and local base images (docs/containers.md: "The compose test").
compose-test:
    python3 docker/compose_test.py

# Benchmarks against librdkafka and kafka-python-ng on local brokers (~4 min; `just bench --quick` ~25 s).
bench *ARGS:
    bench/run.sh {{ARGS}}
