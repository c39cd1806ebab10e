# A Kafka-compatible broker for the compose test on machines that cannot pull apache/kafka:
# tansu (https://github.com/tansu-io/tansu) with sqlite storage. The binary comes through the
# build context (docker/base.sh copies the host's `tansu`); it is not committed.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin tansu \
 && mkdir -p /var/lib/kafka/data && chown tansu /var/lib/kafka/data
COPY tansu /usr/local/bin/tansu
USER 10001
# The same data directory as apache/kafka's KAFKA_LOG_DIRS in compose.yaml, so that the named
# volume applies unchanged. The sqlite path must be relative: tansu mangles absolute ones.
WORKDIR /var/lib/kafka/data
EXPOSE 9092
ENTRYPOINT ["tansu", "broker"]
CMD ["--listener-url", "tcp://0.0.0.0:9092", "--advertised-listener-url", "tcp://kafka:9092", \
     "--storage-engine", "sqlite://data.sqlite"]
