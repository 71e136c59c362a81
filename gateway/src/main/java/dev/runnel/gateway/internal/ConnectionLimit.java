package dev.runnel.gateway.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code max} open connections; one more is answered 503 with {@code Retry-After} and
 * closed. First in every pipeline; shared by all.
 */
@Sharable
public final class ConnectionLimit extends ChannelInboundHandlerAdapter {
  private static final int RETRY_AFTER_SECONDS = 1;
  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  public ConnectionLimit(int max) {
    this.max = max;
  }

  /** Connections open now. */
  public int open() {
    return open.get();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > max) {
      refuse(ctx);
      return;
    }
    ctx.fireChannelActive();
  }

  private void refuse(ChannelHandlerContext ctx) {
    byte[] body =
        Json.write(
                ApiError.of(
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "too_many_connections",
                        "the gateway has its maximum of " + max + " connections open")
                    .body())
            .getBytes(StandardCharsets.UTF_8);
    var response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.SERVICE_UNAVAILABLE,
            Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
    HttpUtil.setContentLength(response, body.length);
    HttpUtil.setKeepAlive(response, false);
    // The request is never read: the answer goes out through the encoder and the line closes.
    ctx.channel().config().setAutoRead(false);
    ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    open.decrementAndGet();
    ctx.fireChannelInactive();
  }
}
