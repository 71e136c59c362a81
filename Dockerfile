# Runnel image: the topology application (RunnelApplication) and the simulated model server, built
# from this repository. docker-compose.yml builds it once and runs it as both services.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
# The parent lists every module, so each module's pom must be present even when not built.
COPY connectors/pom.xml connectors/
COPY schemas schemas
COPY topology topology
RUN mvn -B -q -pl topology -am install -Dmaven.test.skip=true \
 && mvn -B -q -pl topology dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/out/lib \
 && cp topology/target/runnel-topology-*.jar /out/runnel.jar

FROM eclipse-temurin:17-jre
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app runnel \
 && mkdir -p /app/state && chown runnel /app/state
COPY --from=build /out/ /app/
USER runnel
WORKDIR /app
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
# Streams state lives here; mount a volume to keep it across restarts (faster recovery).
VOLUME /app/state
EXPOSE 9464
ENTRYPOINT ["java", "-cp", "/app/runnel.jar:/app/lib/*"]
CMD ["dev.runnel.app.RunnelApplication"]
