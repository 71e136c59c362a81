package dev.runnel.gateway.internal;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;

/**
 * Netty's aggregator with the gateway's JSON error for a body over the limit: 413. On a keep-alive
 * connection the rest of the body is read and dropped (the aggregator does that after this call),
 * so a client still writing it does not hit a reset before it reads the answer; otherwise the
 * connection closes after the answer.
 */
public final class LimitedAggregator extends HttpObjectAggregator {
  private final int maxBytes;

  public LimitedAggregator(int maxBytes) {
    super(maxBytes);
    this.maxBytes = maxBytes;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    if (!(oversized instanceof HttpRequest)) {
      ctx.close();
      return;
    }
    byte[] body =
        Json.write(
                Json.error(
                    "body_too_large",
                    "the request body is larger than " + maxBytes + " bytes",
                    "invalid_request_error"))
            .getBytes(StandardCharsets.UTF_8);
    var response =
        new io.netty.handler.codec.http.DefaultFullHttpResponse(
            io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
            HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
            io.netty.buffer.Unpooled.wrappedBuffer(body));
    response.headers().set("Content-Type", "application/json; charset=utf-8");
    HttpUtil.setContentLength(response, body.length);
    boolean keepAlive = HttpUtil.isKeepAlive(oversized) && !(oversized instanceof FullHttpMessage);
    HttpUtil.setKeepAlive(response, keepAlive);
    RequestDeadline.disarm(ctx.pipeline(), true);
    var written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
