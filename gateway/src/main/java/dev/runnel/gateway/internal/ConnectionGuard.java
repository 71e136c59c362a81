package dev.runnel.gateway.internal;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayDeque;

/**
 * One request at a time on a connection, and no idle connection kept. Sits between the aggregator
 * and the router: a request is handed on only once the response to the one before has ended (its
 * last content was written), so a response can never be read as the answer to another request, even
 * when a client pipelines. While nothing is being answered, an idle event (from Netty's {@link
 * io.netty.handler.timeout.IdleStateHandler}) closes the connection: that ends idle keep-alive
 * connections and requests whose bytes stopped coming. One channel, one instance.
 */
public final class ConnectionGuard extends ChannelDuplexHandler {
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private boolean answering;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    RequestDeadline.disarm(ctx.pipeline(), false);
    if (answering) {
      // A pipelining client: stop reading until the answers catch up.
      waiting.addLast(request);
      ctx.channel().config().setAutoRead(false);
      return;
    }
    answering = true;
    ctx.fireChannelRead(request);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    boolean ends = msg instanceof LastHttpContent;
    ctx.write(msg, promise);
    if (ends && answering) {
      // Runs after this write returns, so the next request never starts inside a response's write.
      ctx.executor().execute(() -> next(ctx));
    }
  }

  /** True while a request is being answered. */
  boolean answering() {
    return answering;
  }

  private void next(ChannelHandlerContext ctx) {
    FullHttpRequest request = waiting.pollFirst();
    if (request == null) {
      answering = false;
      RequestDeadline.disarm(ctx.pipeline(), true);
      ctx.channel().config().setAutoRead(true);
      return;
    }
    if (!ctx.channel().isActive()) {
      request.release();
      next(ctx);
      return;
    }
    ctx.fireChannelRead(request);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (!answering) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    FullHttpRequest request;
    while ((request = waiting.pollFirst()) != null) {
      request.release();
    }
    ctx.fireChannelInactive();
  }
}
