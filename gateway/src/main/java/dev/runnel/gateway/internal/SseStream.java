package dev.runnel.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A server-sent event response on a Netty channel. Writes never block: they are queued on the
 * channel, and when more than {@code maxPendingBytes} wait unsent the client is too slow, so the
 * stream is closed (the client resumes with {@code Last-Event-ID}) instead of holding up the shared
 * feed or growing without bound.
 */
final class SseStream {
  private static final long KEEP_ALIVE_SECONDS = 15;

  private final Channel channel;
  private final long maxPendingBytes;
  private final AtomicLong pending = new AtomicLong();
  private final Runnable onOverflow;
  private final String extraHeaderName;
  private final String extraHeaderValue;
  private volatile boolean finished;
  private boolean opened;
  private ScheduledFuture<?> keepAlive;

  /**
   * A stream whose response head carries {@code extraHeaderName} (null for none); nothing is
   * written before {@link #open()} or the first event, so a request can still be refused with an
   * ordinary error response until then.
   */
  SseStream(
      Channel channel,
      long maxPendingBytes,
      Runnable onOverflow,
      String extraHeaderName,
      String extraHeaderValue) {
    this.channel = channel;
    this.maxPendingBytes = maxPendingBytes;
    this.onOverflow = onOverflow;
    this.extraHeaderName = extraHeaderName;
    this.extraHeaderValue = extraHeaderValue;
  }

  /**
   * Sends the response head if it was not sent yet; comments every 15 s keep idle proxies from
   * closing the stream.
   */
  synchronized void open() {
    if (opened) {
      return;
    }
    opened = true;
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    response.headers().set("X-Accel-Buffering", "no");
    if (extraHeaderName != null) {
      response.headers().set(extraHeaderName, extraHeaderValue);
    }
    HttpUtil.setTransferEncodingChunked(response, true);
    channel.writeAndFlush(response);
    keepAlive =
        channel
            .eventLoop()
            .scheduleAtFixedRate(
                () -> send(": keep-alive\n\n"),
                KEEP_ALIVE_SECONDS,
                KEEP_ALIVE_SECONDS,
                TimeUnit.SECONDS);
    channel.closeFuture().addListener(f -> keepAlive.cancel(false));
  }

  boolean isOpen() {
    return !finished && channel.isActive();
  }

  /**
   * Queues {@code text}.
   *
   * @return false when the stream is closed or was just closed for being too far behind
   */
  synchronized boolean send(String text) {
    if (!isOpen()) {
      return false;
    }
    open();
    ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    int size = buf.readableBytes();
    if (pending.addAndGet(size) > maxPendingBytes) {
      buf.release();
      finished = true;
      onOverflow.run();
      channel.close();
      return false;
    }
    channel.writeAndFlush(new DefaultHttpContent(buf)).addListener(f -> pending.addAndGet(-size));
    return true;
  }

  /** Sends one event. */
  boolean event(String id, String data) {
    StringBuilder sb = new StringBuilder(data.length() + 32);
    if (id != null) {
      sb.append("id: ").append(id).append('\n');
    }
    for (String line : data.split("\n", -1)) {
      sb.append("data: ").append(line).append('\n');
    }
    sb.append('\n');
    return send(sb.toString());
  }

  /** Ends the response; the connection stays open for the client's next request. */
  synchronized void finish() {
    if (finished) {
      return;
    }
    open();
    finished = true;
    keepAlive.cancel(false);
    channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  /** Ends the response, if it has not ended, and closes the connection. */
  synchronized void finishAndClose() {
    if (finished) {
      channel.close();
      return;
    }
    open();
    finished = true;
    keepAlive.cancel(false);
    channel
        .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
        .addListener(ChannelFutureListener.CLOSE);
  }
}
