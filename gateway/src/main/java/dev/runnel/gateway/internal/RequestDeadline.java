package dev.runnel.gateway.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A request must arrive whole within a deadline from its first byte: a client that sends it a byte
 * at a time (which keeps an idle timeout from firing) gets 408 and the connection closes. Sits
 * before the HTTP decoder, so it sees bytes before any header is complete; the {@link
 * ConnectionGuard} (or the aggregator, for a body over the limit) disarms it once the request is
 * whole. One channel, one instance.
 */
public final class RequestDeadline extends ChannelInboundHandlerAdapter {
  private final Duration timeout;
  private ScheduledFuture<?> deadline;
  private boolean waitingForNext = true;

  public RequestDeadline(Duration timeout) {
    this.timeout = timeout;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (deadline == null && waitingForNext) {
      deadline =
          ctx.executor().schedule(() -> expire(ctx), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  /** The request that started the deadline arrived whole; the next bytes start a new one. */
  static void disarm(ChannelPipeline pipeline, boolean nextMayStart) {
    RequestDeadline self = pipeline.get(RequestDeadline.class);
    if (self != null) {
      self.waitingForNext = nextMayStart;
      if (self.deadline != null) {
        self.deadline.cancel(false);
        self.deadline = null;
      }
    }
  }

  private void expire(ChannelHandlerContext ctx) {
    deadline = null;
    ConnectionGuard guard = ctx.pipeline().get(ConnectionGuard.class);
    if (guard != null && guard.answering()) {
      return; // bytes of a pipelined request; the guard holds it until the answer before ends
    }
    byte[] body =
        Json.write(
                ApiError.of(
                        HttpResponseStatus.REQUEST_TIMEOUT,
                        "request_timeout",
                        "the request did not arrive whole within " + timeout.toMillis() + " ms")
                    .body())
            .getBytes(StandardCharsets.UTF_8);
    var response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT, Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
    HttpUtil.setContentLength(response, body.length);
    HttpUtil.setKeepAlive(response, false);
    // From the tail: the response must pass the encoder, which sits after this handler.
    ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (deadline != null) {
      deadline.cancel(false);
    }
    ctx.fireChannelInactive();
  }
}
