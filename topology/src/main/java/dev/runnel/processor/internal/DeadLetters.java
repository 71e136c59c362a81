package dev.runnel.processor.internal;

import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.serde.AvroSerde;
import java.nio.ByteBuffer;

/**
 * Makes a dead letter fit in one Kafka record. It carries the original bytes of what it rejects,
 * and a record the broker accepted may be too large to send again inside a dead letter: then the
 * value (and if need be the key) keeps only a prefix, {@code truncated} says so, and the original
 * sizes stay recorded. Without this one large record would stop its partition for good: the send
 * fails, the stream thread dies and reads the same record again.
 */
final class DeadLetters {
  private static final AvroSerde<DeadLetter> SERDE = AvroSerde.of(DeadLetter.class);
  private static final int MAX_MESSAGE_CHARS = 2000;

  private DeadLetters() {}

  /** {@code letter}, with its original sizes set, cut down to at most {@code maxBytes} encoded. */
  static DeadLetter fitting(DeadLetter letter, int maxBytes) {
    letter.setOriginalKeySize(length(letter.getKey()));
    letter.setOriginalValueSize(length(letter.getValue()));
    int excess = SERDE.encode(letter).length - maxBytes;
    if (excess > 0 && letter.getValue() != null) {
      letter.setValue(prefix(letter.getValue(), letter.getValue().remaining() - excess));
      letter.setTruncated(true);
      excess = SERDE.encode(letter).length - maxBytes;
    }
    if (excess > 0 && letter.getKey() != null) {
      letter.setKey(prefix(letter.getKey(), letter.getKey().remaining() - excess));
      letter.setTruncated(true);
      excess = SERDE.encode(letter).length - maxBytes;
    }
    if (excess > 0) {
      letter.setMessage(shortened(letter.getMessage()));
      ErrorInfo error = letter.getError();
      if (error != null) {
        error.setMessage(shortened(error.getMessage()));
      }
    }
    return letter;
  }

  private static Integer length(ByteBuffer bytes) {
    return bytes == null ? null : bytes.remaining();
  }

  private static ByteBuffer prefix(ByteBuffer bytes, int length) {
    ByteBuffer copy = bytes.duplicate();
    copy.limit(copy.position() + Math.max(0, length));
    return copy.slice();
  }

  private static String shortened(String text) {
    return text.length() <= MAX_MESSAGE_CHARS
        ? text
        : text.substring(0, MAX_MESSAGE_CHARS) + "... (" + text.length() + " characters)";
  }
}
