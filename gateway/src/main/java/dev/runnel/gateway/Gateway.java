package dev.runnel.gateway;

import dev.runnel.config.RunnelConfig;
import dev.runnel.gateway.internal.ChunkFeed;
import dev.runnel.gateway.internal.ConnectionGuard;
import dev.runnel.gateway.internal.ConnectionLimit;
import dev.runnel.gateway.internal.GatewayHandler;
import dev.runnel.gateway.internal.LimitedAggregator;
import dev.runnel.gateway.internal.RequestDeadline;
import dev.runnel.gateway.internal.Tenants;
import dev.runnel.topics.Topics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runnel's HTTP front door: accepts prompts, streams a session's chunks to browsers and other
 * clients as server-sent events, reads session state from the topology instances, answers the
 * OpenAI Chat Completions API, and serves a chat page. It holds no state of its own beyond a
 * bounded buffer of recent chunks, so any number of instances can run behind a load balancer.
 *
 * <p>Each instance has one Kafka consumer on the chunks topic shared by all its watchers, and Netty
 * event loops (two threads by default) for every connection, so open streams cost no threads.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final String READ_COMMITTED = "read_committed";

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel server;
  private final Feeds feeds;
  private final GatewayHandler handler;
  private final PrometheusMeterRegistry registry;

  /** The feed behind event streams and the read_committed one behind completions (maybe one). */
  private record Feeds(ChunkFeed events, ChunkFeed completions) {
    boolean ready() {
      return events.ready() && completions.ready();
    }

    int watchers() {
      return events.watcherCount() + (completions == events ? 0 : completions.watcherCount());
    }

    void close() {
      events.close();
      if (completions != events) {
        completions.close();
      }
    }
  }

  private Gateway(
      EventLoopGroup boss,
      EventLoopGroup workers,
      Channel server,
      Feeds feeds,
      GatewayHandler handler,
      PrometheusMeterRegistry registry) {
    this.boss = boss;
    this.workers = workers;
    this.server = server;
    this.feeds = feeds;
    this.handler = handler;
    this.registry = registry;
  }

  /**
   * Starts a gateway: follows the chunks topic from its end and listens on {@code
   * runnel.gateway.bind.address}:{@code runnel.gateway.port}. Settings outside {@code runnel.} go
   * to the Kafka clients ({@code bootstrap.servers}, security).
   */
  public static Gateway start(RunnelConfig config) {
    Map<String, Object> clientProps = config.kafkaClientProperties();
    Topics topics = Topics.from(config);
    // First: a bad key setting fails the start before any consumer runs.
    Tenants tenants = Tenants.from(config, clientProps, topics);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    ChunkFeed.Limits limits =
        new ChunkFeed.Limits(
            config.getInt(RunnelConfig.GATEWAY_REPLAY_CHUNKS_CONFIG),
            config.getLong(RunnelConfig.GATEWAY_REPLAY_SESSION_MAX_BYTES_CONFIG),
            config.getInt(RunnelConfig.GATEWAY_REPLAY_SESSIONS_CONFIG),
            config.getLong(RunnelConfig.GATEWAY_REPLAY_MAX_BYTES_CONFIG),
            config.getInt(RunnelConfig.GATEWAY_CATCHUP_THREADS_CONFIG),
            config.getInt(RunnelConfig.GATEWAY_CATCHUP_QUEUE_CONFIG),
            Duration.ofMillis(config.getLong(RunnelConfig.GATEWAY_CATCHUP_TIMEOUT_MS_CONFIG)));
    String isolation = config.getString(RunnelConfig.GATEWAY_CHUNKS_ISOLATION_CONFIG);
    Feeds feeds;
    if (isolation.equals(READ_COMMITTED)) {
      ChunkFeed feed =
          new ChunkFeed(clientProps, topics.chunks(), isolation, limits, registry, Tags.empty());
      feeds = new Feeds(feed, feed);
    } else {
      // Completions decide a final on an end record, so they must never see an aborted one.
      feeds =
          new Feeds(
              new ChunkFeed(
                  clientProps,
                  topics.chunks(),
                  isolation,
                  limits,
                  registry,
                  Tags.of("feed", "events")),
              new ChunkFeed(
                  clientProps,
                  topics.chunks(),
                  READ_COMMITTED,
                  limits,
                  registry,
                  Tags.of("feed", "completions")));
      feeds.completions().start();
    }
    feeds.events().start();
    int maxConnections = config.getInt(RunnelConfig.GATEWAY_MAX_CONNECTIONS_CONFIG);
    long idleMs = config.getLong(RunnelConfig.GATEWAY_IDLE_TIMEOUT_MS_CONFIG);
    Duration requestTimeout =
        Duration.ofMillis(config.getLong(RunnelConfig.GATEWAY_REQUEST_TIMEOUT_MS_CONFIG));
    ConnectionLimit connectionLimit = new ConnectionLimit(maxConnections);
    GatewayHandler handler =
        new GatewayHandler(
            feeds.events(),
            feeds.completions(),
            clientProps,
            topics.prompts(),
            topics.cancellations(),
            topics.toolResults(),
            registry,
            new GatewayHandler.Settings(
                config.getInt(RunnelConfig.GATEWAY_PROMPT_MAX_CHARS_CONFIG),
                config.getInt(RunnelConfig.GATEWAY_WATCHER_MAX_PENDING_BYTES_CONFIG),
                Duration.ofMillis(
                    config.getLong(RunnelConfig.GATEWAY_COMPLETION_TIMEOUT_MS_CONFIG)),
                config.getList(RunnelConfig.GATEWAY_QUERY_URLS_CONFIG),
                Duration.ofMillis(config.getLong(RunnelConfig.GATEWAY_QUERY_TIMEOUT_MS_CONFIG)),
                config.getString(RunnelConfig.MODEL_DEFAULT_CONFIG),
                config.allowedModels(),
                config.getString(RunnelConfig.MODEL_SYSTEM_PROMPT_CONFIG),
                config.getInt(RunnelConfig.MODEL_MAX_TOKENS_CONFIG)),
            tenants);
    int maxBody = config.getInt(RunnelConfig.GATEWAY_MAX_BODY_BYTES_CONFIG);
    EventLoopGroup boss =
        new NioEventLoopGroup(1, new DefaultThreadFactory("runnel-gw-accept", true));
    EventLoopGroup workers =
        new NioEventLoopGroup(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            new DefaultThreadFactory("runnel-gw-io", true));
    InetSocketAddress bind =
        new InetSocketAddress(
            config.getString(RunnelConfig.GATEWAY_BIND_ADDRESS_CONFIG),
            config.getInt(RunnelConfig.GATEWAY_PORT_CONFIG));
    try {
      Channel server =
          new ServerBootstrap()
              .group(boss, workers)
              .channel(NioServerSocketChannel.class)
              .option(ChannelOption.SO_BACKLOG, 4096)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(connectionLimit)
                          .addLast(new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS))
                          .addLast(new RequestDeadline(requestTimeout))
                          .addLast(
                              new HttpServerCodec(
                                  GatewayHandler.MAX_INITIAL_LINE_BYTES,
                                  GatewayHandler.MAX_HEADER_BYTES,
                                  8192))
                          .addLast(new HttpServerKeepAliveHandler())
                          .addLast(new LimitedAggregator(maxBody))
                          .addLast(new ConnectionGuard())
                          .addLast(handler);
                    }
                  })
              .bind(bind)
              .sync()
              .channel();
      Gateway gateway = new Gateway(boss, workers, server, feeds, handler, registry);
      log.info("Gateway listening on {}", gateway.url());
      return gateway;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdown(boss, workers, feeds, handler, registry);
      throw new IllegalStateException("Interrupted while binding " + bind, e);
    } catch (RuntimeException e) {
      shutdown(boss, workers, feeds, handler, registry);
      throw new IllegalStateException("Cannot listen on " + bind + ": " + e.getMessage(), e);
    }
  }

  /** The address the gateway listens on. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** {@code http://host:port} of the gateway; the chat page is at its root. */
  public String url() {
    InetSocketAddress address = address();
    return "http://" + address.getHostString() + ":" + address.getPort();
  }

  /** True once the chunk feed follows every partition (what {@code /ready} answers). */
  public boolean ready() {
    return feeds.ready();
  }

  /** Open watchers: event streams and completions waiting for chunks. */
  public int watchers() {
    return feeds.watchers();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    shutdown(boss, workers, feeds, handler, registry);
  }

  private static void shutdown(
      EventLoopGroup boss,
      EventLoopGroup workers,
      Feeds feed,
      GatewayHandler handler,
      PrometheusMeterRegistry registry) {
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    feed.close();
    handler.close();
    registry.close();
  }
}
