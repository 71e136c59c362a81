# Runnel image: one image for every role, built from this repository. The class path holds the
# core (runnel-topology), the demo module's mains, the simulated model server and the gateway; the
# command names the role: dev.runnel.app.DefaultMain (default: RunnelApplication, plus the simulated
# model in-process when the provider is simulated and no runnel.model.base.url is set),
# dev.runnel.app.RunnelApplication, dev.runnel.gateway.GatewayMain,
# dev.runnel.simulator.SimulatedModelServer. docker-compose.yml builds it once for all three.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# The parent lists every module, so each module's pom must be present even when it is not built.
COPY pom.xml .
COPY connectors/pom.xml connectors/
COPY bench/pom.xml bench/
COPY distribution/pom.xml distribution/
COPY schemas schemas
COPY simulator simulator
COPY embedded embedded
COPY topology topology
COPY demo demo
COPY gateway gateway
# package puts each module's runtime dependencies into its target/lib: the demo's hold the core,
# the simulated model and the embedded broker; the gateway's the core and the gateway's own.
RUN mvn -B -q -pl demo,gateway -am package -Dmaven.test.skip=true

FROM eclipse-temurin:17-jre
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app runnel \
 && mkdir -p /app/state && chown runnel /app/state
COPY --from=build /src/demo/target/lib/ /app/lib/
COPY --from=build /src/demo/target/runnel-demo-*.jar /app/lib/
COPY --from=build /src/gateway/target/lib/ /app/lib/
COPY --from=build /src/gateway/target/runnel-gateway-*.jar /app/lib/
USER runnel
WORKDIR /app
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
# Streams state lives here; mount a volume to keep it across restarts (faster recovery).
VOLUME /app/state
EXPOSE 9464 7070 8080
ENTRYPOINT ["java", "-cp", "/app/lib/*"]
CMD ["dev.runnel.app.DefaultMain"]
