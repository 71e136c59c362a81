# Runnel image: one image for every role, built from this repository: the binary distribution
# (bin/runnel, lib/, config/) in /app, with bin/runnel as the entry point, so the command names the
# role: topology, gateway, simulator, demo, chat (`runnel --help` lists them). docker-compose.yml
# builds it once for all of them.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# The parent lists every module, so each module's pom must be present even when it is not built.
COPY pom.xml .
COPY connectors/pom.xml connectors/
COPY bench/pom.xml bench/
COPY deploy/pom.xml deploy/
COPY test-kit/pom.xml test-kit/
COPY mcp/pom.xml mcp/
COPY examples/pom.xml examples/
COPY schemas schemas
COPY simulator simulator
COPY embedded embedded
COPY topology topology
COPY demo demo
COPY gateway gateway
COPY distribution distribution
# package assembles the distribution folder distribution/target/runnel-<version>/; it is moved
# to dist/ so the final stage names no version.
RUN mvn -B -q -pl distribution -am package -Dmaven.test.skip=true \
 && mv distribution/target/runnel-*/ dist

FROM eclipse-temurin:17-jre
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app runnel \
 && mkdir -p /app/state && chown runnel /app/state
COPY --from=build /src/dist/ /app/
USER runnel
WORKDIR /app
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
# Streams state lives here; mount a volume to keep it across restarts (faster recovery).
VOLUME /app/state
EXPOSE 9464 7070 8080
ENTRYPOINT ["/app/bin/runnel"]
CMD ["topology"]
