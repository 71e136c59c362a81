package dev.runnel.gateway.internal;

/**
 * What a streamed completion has sent, and how far the call now shown has repeated it. An OpenAI
 * client cannot be told to discard text, so a restarted call's text is checked against what was
 * sent, character by character as it arrives: while it repeats it nothing is sent, past it only the
 * new part is. Each character is looked at once, so a delta costs its own length, never the length
 * of the text so far.
 */
final class SentText {
  private final StringBuilder sent = new StringBuilder();
  private int position;
  private long examined;

  /** A new call's text starts: it is compared with what was sent from the beginning. */
  void restart() {
    position = 0;
  }

  /**
   * Takes the next part of the shown call's text.
   *
   * @return the characters to send (empty while the call repeats what was sent), or null when the
   *     call's text differs from what was sent
   */
  String accept(CharSequence part) {
    int length = part.length();
    int i = 0;
    while (i < length && position < sent.length()) {
      examined++;
      if (part.charAt(i) != sent.charAt(position)) {
        return null;
      }
      i++;
      position++;
    }
    if (i == length) {
      return "";
    }
    String fresh = part.subSequence(i, length).toString();
    examined += fresh.length();
    sent.append(fresh);
    position = sent.length();
    return fresh;
  }

  /** Characters compared or appended so far: the work done, linear in the text received. */
  long examined() {
    return examined;
  }
}
