package dev.runnel.model.internal;

import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads at most {@code limit} bytes of a body as UTF-8 text. A longer body is not read further: the
 * subscription is cancelled (which closes the connection) and the text ends with a marker saying it
 * was cut, so a server answering an error with megabytes costs a few kilobytes.
 */
final class LimitedBodySubscriber implements BodySubscriber<String> {
  private final byte[] bytes;
  private final CompletableFuture<String> body = new CompletableFuture<>();
  private int length;
  private Flow.Subscription subscription;

  LimitedBodySubscriber(int limit) {
    this.bytes = new byte[limit];
  }

  @Override
  public CompletionStage<String> getBody() {
    return body;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    boolean cut = false;
    for (ByteBuffer buffer : buffers) {
      int n = Math.min(buffer.remaining(), bytes.length - length);
      buffer.get(bytes, length, n);
      length += n;
      cut |= buffer.hasRemaining();
    }
    if (cut) {
      subscription.cancel();
      body.complete(text() + " [truncated: only the first " + bytes.length + " bytes were read]");
    } else {
      subscription.request(1);
    }
  }

  @Override
  public void onError(Throwable error) {
    // What arrived before the body broke is all there is to report.
    body.complete(text());
  }

  @Override
  public void onComplete() {
    body.complete(text());
  }

  private String text() {
    return new String(bytes, 0, length, StandardCharsets.UTF_8);
  }
}
