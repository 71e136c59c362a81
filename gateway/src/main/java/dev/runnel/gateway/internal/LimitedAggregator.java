package dev.runnel.gateway.internal;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;

/**
 * Netty's aggregator with the gateway's JSON error for a body over the limit: 413, and the
 * connection closed, because the rest of the body would otherwise be read as the next request.
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
    HttpUtil.setKeepAlive(response, false);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
