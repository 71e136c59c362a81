package dev.runnel.gateway.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A request must arrive whole within a deadline from its first line: a client that sends it a byte
 * at a time (which keeps an idle timeout from firing) gets 408 and the connection closes. Sits
 * before the aggregator, where the parts of a request pass. One channel, one instance.
 */
public final class RequestDeadline extends ChannelDuplexHandler {
  private final Duration timeout;
  private ScheduledFuture<?> deadline;

  public RequestDeadline(Duration timeout) {
    this.timeout = timeout;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest && deadline == null) {
      deadline =
          ctx.executor().schedule(() -> expire(ctx), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    if (msg instanceof LastHttpContent && deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
    ctx.fireChannelRead(msg);
  }

  private void expire(ChannelHandlerContext ctx) {
    deadline = null;
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
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (deadline != null) {
      deadline.cancel(false);
    }
    ctx.fireChannelInactive();
  }
}
